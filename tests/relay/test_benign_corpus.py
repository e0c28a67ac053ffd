"""No false alarms on real traffic: 25,000 messages that no one here wrote pass the scanner.

The corpus (bench/corpus/, built by bench/corpus/build_corpus.py, sources in its README)
holds commit messages and changelog entries of public projects, Japanese prose from a
business product's documentation and two technical books, and CI and monitoring
notifications in their documented formats, as Slack payloads. They run through the real
content policy with the strictest team (every secret and personal-data class blocks); any
scanner finding is a false positive: fix the rule, or, if the text really holds a secret,
leave the item out of the corpus with a note in the README.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[2] / "bench" / "corpus"


def _benign():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("benign_corpus", CORPUS_DIR / "benign.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


benign = _benign()


def test_the_corpus_is_large_and_mixed() -> None:
    sources = Counter(r["source"].partition("@")[0].partition(":")[0] for r in benign.records())
    assert sum(sources.values()) >= 10_000
    assert {"pypa/pip", "kufu/smarthr-design-system", "notification"} <= set(sources)
    shapes = Counter("blocks" in r["payload"] for r in benign.records())
    assert shapes[True] > 5_000 and shapes[False] > 5_000  # text and Block Kit both


def test_no_scanner_rule_fires_on_the_benign_corpus() -> None:
    count, hits = benign.scan_corpus()
    assert count >= 10_000
    per_rule = Counter(hit.rule for hit in hits)
    examples = "\n".join(
        f"  {rule} ({n}): "
        + "; ".join(f"{h.source} {h.path}: {h.message[:120]}" for h in hits if h.rule == rule)[:600]
        for rule, n in per_rule.most_common()
    )
    assert not hits, f"{len(hits)} finding(s) in {count} benign messages:\n{examples}"


def test_a_planted_secret_is_counted() -> None:
    # The counting itself must see findings, or the test above could never fail.
    record = {
        "source": "planted",
        "payload": {
            "channel": "corpus",
            "text": "key AKIA" + "Q3EGRT5EXAMPLEZ7 and https://x.test",
        },
    }
    found = benign.hits(record, benign.strictest_team())
    assert [hit.rule for hit in found] == ["aws-access-key-id"]  # the link is not counted
