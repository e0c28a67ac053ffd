"""The audit's output: an aligned table for people, a JSON document for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shared_gateway.audit.checks import Network, Verdict, summarize

HEADERS = ("FUNCTION", "TEAM", "STATUS", "REASONS")
NO_TEAM = "-"


def summary_line(verdicts: Sequence[Verdict]) -> str:
    counts = summarize(verdicts)
    noun = "function" if counts["functions"] == 1 else "functions"
    return (
        f"{counts['functions']} {noun}: {counts['confined']} confined, {counts['escapes']} escapes"
    )


def render_table(region: str, verdicts: Sequence[Verdict]) -> str:
    """One row per function; further reasons go on continuation lines under REASONS."""
    if not verdicts:
        return (
            f"no slackgate functions found in {region} "
            "(no function with a slackgate-* role or a slackgate:team tag)\n"
        )
    rows: list[tuple[str, str, str, str]] = []
    for verdict in verdicts:
        reasons = [f"{r.code}: {r.message}" for r in verdict.reasons] or ["-"]
        rows.append((verdict.name, verdict.team or NO_TEAM, verdict.status, reasons[0]))
        rows.extend(("", "", "", reason) for reason in reasons[1:])
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in [HEADERS, *rows]
    ]
    lines.append("")
    lines.append(f"{summary_line(verdicts)} (region {region})")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def to_document(
    region: str, network: Network | None, verdicts: Sequence[Verdict]
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "region": region,
        "functions": [
            {
                "name": v.name,
                "arn": v.arn,
                "team": v.team,
                "status": v.status,
                "reasons": [r.as_dict() for r in v.reasons],
            }
            for v in verdicts
        ],
        "summary": summarize(verdicts),
    }
    if network is not None:
        published = network.published
        document["network"] = {
            "vpc_id": published.vpc_id,
            "subnet_ids": sorted(published.subnet_ids),
            "function_sg_id": published.function_sg_id,
            "endpoint_sg_ids": sorted(network.endpoint_sg_ids),
        }
    return document


def render_json(region: str, network: Network | None, verdicts: Sequence[Verdict]) -> str:
    return json.dumps(to_document(region, network, verdicts), indent=2, sort_keys=True) + "\n"
