"""The audit's output: an aligned table for people, a JSON document for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from shared_gateway.audit.checks import Network, Verdict, summarize
from shared_gateway.audit.network import Finding, GatewayFacts

HEADERS = ("FUNCTION", "TEAM", "STATUS", "REASONS")
NETWORK_HEADERS = ("SEVERITY", "REASON")
NO_TEAM = "-"


def summary_line(verdicts: Sequence[Verdict], findings: Sequence[Finding] | None = None) -> str:
    counts = summarize(verdicts)
    noun = "function" if counts["functions"] == 1 else "functions"
    line = (
        f"{counts['functions']} {noun}: {counts['confined']} confined, {counts['escapes']} escapes"
    )
    if findings is not None:
        line += f"; network: {len(findings)} finding{'' if len(findings) == 1 else 's'}"
    return line


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Every column but the last padded to its widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False))
        + "  "
        + row[-1]
        for row in rows
    ]


def function_lines(region: str, verdicts: Sequence[Verdict]) -> list[str]:
    """One row per function; further reasons go on continuation lines under REASONS."""
    if not verdicts:
        return [
            f"no slackgate functions found in {region} "
            "(no function with a slackgate-* role or a slackgate:team tag)"
        ]
    rows: list[tuple[str, str, str, str]] = []
    for verdict in verdicts:
        reasons = [f"{r.code}: {r.message}" for r in verdict.reasons] or ["-"]
        rows.append((verdict.name, verdict.team or NO_TEAM, verdict.status, reasons[0]))
        rows.extend(("", "", "", reason) for reason in reasons[1:])
    return _aligned([HEADERS, *rows])


def perimeter_label(facts: GatewayFacts) -> str:
    if facts.organization_id:
        return f"organisation {facts.organization_id}"
    return f"account {facts.account}"


def notes(facts: GatewayFacts, prefix: str) -> list[str]:
    if facts.services_published:
        return []
    return [
        f"{prefix}/network/services is not published (a gateway deployed before services could "
        f"be enabled): checking against {', '.join(facts.services)}"
    ]


def hub_note(network: Network, facts: GatewayFacts) -> str:
    """What a team account's audit leaves to the hub's, and what it allowed in its place."""
    ranges = ", ".join(sorted(network.shared_vpc_cidrs)) or "none found"
    return (
        f"the gateway's VPC, shared by account {facts.gateway_account}: its endpoints, endpoint "
        f"policies, routes and DNS firewall are audited in that account (audit it too); here "
        f"the function group may reach the VPC's range ({ranges}) on tcp 443"
    )


def network_lines(network: Network, findings: Sequence[Finding], prefix: str) -> list[str]:
    facts = network.facts
    if facts is None:
        return []
    if facts.in_member_account:
        return [f"NETWORK {network.published.vpc_id}: {hub_note(network, facts)}"]
    heading = (
        f"NETWORK {network.published.vpc_id}: services {', '.join(facts.services)}; "
        f"perimeter {perimeter_label(facts)}"
    )
    lines = [heading, *(f"note: {note}" for note in notes(facts, prefix))]
    if not findings:
        return [*lines, "no findings: endpoints, endpoint policies and DNS firewall as published"]
    rows = [(f.severity, f"{f.code}: {f.message}") for f in findings]
    return [*lines, *_aligned([NETWORK_HEADERS, *rows])]


def render_table(
    region: str,
    verdicts: Sequence[Verdict],
    network: Network | None = None,
    findings: Sequence[Finding] = (),
    prefix: str = "/slackgate",
) -> str:
    """The functions, then the network block (when the gateway's facts were collected)."""
    lines = function_lines(region, verdicts)
    block = network_lines(network, findings, prefix) if network is not None else []
    if block:
        lines += ["", *block]
    # A team account's network line is a pointer to the hub's audit, not a count of findings.
    counted = bool(block) and not (network and network.facts and network.facts.in_member_account)
    if verdicts or block:
        lines += ["", f"{summary_line(verdicts, findings if counted else None)} (region {region})"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def to_document(
    region: str,
    network: Network | None,
    verdicts: Sequence[Verdict],
    findings: Sequence[Finding] = (),
    prefix: str = "/slackgate",
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
        if network.facts is not None:
            document["network"].update(network_document(network, network.facts, findings, prefix))
            if not network.facts.in_member_account:
                document["summary"]["network_findings"] = len(findings)
    return document


def network_document(
    network: Network, facts: GatewayFacts, findings: Sequence[Finding], prefix: str
) -> dict[str, Any]:
    if facts.in_member_account:
        return {
            "audited_in_account": facts.gateway_account,
            "shared_vpc_cidrs": sorted(network.shared_vpc_cidrs),
            "notes": [hub_note(network, facts)],
            "findings": [],
        }
    return {
        "audited_in_account": facts.account,
        "services": list(facts.services),
        "services_published": facts.services_published,
        "notes": notes(facts, prefix),
        "perimeter": {"account": facts.account, "organization_id": facts.organization_id or None},
        "endpoints": [
            {
                "id": e.id,
                "service_name": e.service_name,
                "type": e.endpoint_type,
                "state": e.state,
            }
            for e in network.endpoints
            if e.vpc_id == network.published.vpc_id
        ],
        "findings": [f.as_dict() for f in findings],
    }


def render_json(
    region: str,
    network: Network | None,
    verdicts: Sequence[Verdict],
    findings: Sequence[Finding] = (),
    prefix: str = "/slackgate",
) -> str:
    document = to_document(region, network, verdicts, findings, prefix)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
