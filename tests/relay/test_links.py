"""Finding links per format Slack renders: mrkdwn, Markdown blocks (CommonMark), plain text.

Each link form has hits (must be found, and refused when the host is not allowed) and near
misses (must not be read as a link out). The URL policy itself is tested in test_urls.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.relay import links_bare, tlds
from shared_gateway.relay.payload import PayloadRejected, check_message
from shared_gateway.relay.policy import evaluate
from shared_gateway.relay.registry import Team
from shared_gateway.relay.urls import (
    MARKDOWN,
    MRKDWN,
    PLAIN_TEXT,
    TOO_MANY_LINKS,
    check_url,
    text_format,
    urls_in_text,
)

ALLOWED = ("example.com",)
ROOT = Path(__file__).resolve().parents[2]


def refused(text: str, fmt: str = MRKDWN) -> list[str]:
    return [url for url in urls_in_text(text, fmt) if check_url(url, ALLOWED)]


# --- Markdown blocks: CommonMark 0.31.2 --------------------------------------------------------

MARKDOWN_HITS = [
    # (id, text, the link found); every one points at evil.net, which the team may not link to
    ("inline", "[a](https://evil.net/x)", "https://evil.net/x"),
    ("inline-space-before", "[a](   https://evil.net/x)", "https://evil.net/x"),
    ("inline-tab-before", "[a](\thttps://evil.net/x)", "https://evil.net/x"),
    ("inline-newline-before", "[a](\n  https://evil.net/x)", "https://evil.net/x"),
    ("inline-crlf-before", "[a](\r\nhttps://evil.net/x)", "https://evil.net/x"),
    ("inline-in-block-quote", "> see [a](\n> https://evil.net/x)", "https://evil.net/x"),
    ("inline-title-double", '[a](https://evil.net/x "title")', "https://evil.net/x"),
    ("inline-title-single", "[a](https://evil.net/x 'title')", "https://evil.net/x"),
    ("inline-title-parens", "[a](https://evil.net/x (title))", "https://evil.net/x"),
    ("inline-angle", "[a](<https://evil.net/x>)", "https://evil.net/x"),
    ("inline-angle-with-space", "[a](<https://evil.net/a b>)", "https://evil.net/a%20b"),
    ("inline-balanced-parens", "[a](https://evil.net/x(1)(2))", "https://evil.net/x(1)(2)"),
    ("nested-brackets", "[a [b] c](https://evil.net/x)", "https://evil.net/x"),
    ("image", "![alt](https://evil.net/p.png)", "https://evil.net/p.png"),
    (
        "image-in-link",
        "[![alt](https://example.com/i.png)](https://evil.net/x)",
        "https://evil.net/x",
    ),
    ("scheme-relative", "[a](//evil.net/x)", "https://evil.net/x"),
    ("scheme-relative-backslash", "[a](/\\evil.net/x)", "https:/\\evil.net/x"),
    ("schemeless-host", "[a](evil.net/x)", "http://evil.net/x"),
    ("schemeless-www", "[a](www.evil.net)", "www.evil.net"),
    ("escaped-dot", "[a](https://evil\\.net/x)", "https://evil.net/x"),
    ("entity-dot", "[a](https://evil&#46;net/x)", "https://evil.net/x"),
    ("entity-named", "[a](https://evil&period;net/x)", "https://evil.net/x"),
    ("javascript", "[a](javascript:alert(1))", "javascript:alert(1)"),
    ("mailto", "[a](mailto:ops@evil.net)", "mailto:ops@evil.net"),
    ("definition", "[ref]: https://evil.net/x", "https://evil.net/x"),
    ("definition-indented", "   [ref]: https://evil.net/x", "https://evil.net/x"),
    ("definition-angle", "[ref]: <https://evil.net/x>", "https://evil.net/x"),
    ("definition-title", '[ref]: https://evil.net/x "title"', "https://evil.net/x"),
    ("definition-next-line", "[ref]:\n   https://evil.net/x\n  'title'", "https://evil.net/x"),
    ("definition-schemeless", "[ref]: evil.net", "http://evil.net"),
    ("definition-scheme-relative", "[ref]: //evil.net/x", "https://evil.net/x"),
    ("definition-in-list", "- [ref]: https://evil.net/x", "https://evil.net/x"),
    ("definition-label-two-lines", "[a\nb]: https://evil.net/x", "https://evil.net/x"),
    ("autolink", "<https://evil.net/x>", "https://evil.net/x"),
    ("autolink-other-scheme", "<irc://evil.net:6667/x>", "irc://evil.net:6667/x"),
    ("autolink-email", "<ops@evil.net>", "mailto:ops@evil.net"),
    ("bare-scheme", "see https://evil.net/x", "https://evil.net/x"),
    ("bare-www", "see www.evil.net", "www.evil.net"),
    ("bare-host", "see evil.net/x", "http://evil.net/x"),
]


@pytest.mark.parametrize(
    ("text", "link"), [(t, u) for _, t, u in MARKDOWN_HITS], ids=[i for i, _, _ in MARKDOWN_HITS]
)
def test_markdown_link_forms_are_found_and_checked(text: str, link: str) -> None:
    found = urls_in_text(text, MARKDOWN)
    assert link in found
    assert link in refused(text, MARKDOWN)


def test_references_link_through_their_definition() -> None:
    # Full, collapsed and shortcut references use a definition: each definition is checked.
    for reference in ("[text][ref]", "[ref][]", "[ref]"):
        text = f"{reference}\n\n[ref]: https://evil.net/x"
        assert refused(text, MARKDOWN) == ["https://evil.net/x"]


MARKDOWN_MISSES = [
    ("relative-path", "[a](/docs/x)"),
    ("relative-dot", "[a](./docs/x.md)"),
    ("fragment", "[a](#install)"),
    ("query", "[a](?page=2)"),
    ("word", "see [1](below)"),
    ("file-name", "[script](app.py) and [notes](README.md)"),
    ("reference-without-definition", "[text][nothing] and [alone]"),
    ("unclosed-angle-destination", "[a](<docs/x)"),
    ("space-after-bracket", "[a] (https://example.com/x)"),
    ("less-than-in-prose", "a < b and b > c, 1<2, x<y>z"),
    ("html-tag", "<b>bold</b> <br>"),
    ("autolink-one-letter-scheme", "<a:b>"),
    ("allowed-inline", "[a](https://example.com/x)"),
    ("allowed-scheme-relative", "[a](//docs.example.com/x)"),
    ("allowed-definition", "[ref]: <https://example.com/x> 'docs'"),
    ("log-prefix", "[INFO]: started app.py with config.yaml"),
    ("empty-destination", "[a]() and [b](<>)"),
]


@pytest.mark.parametrize(
    "text", [t for _, t in MARKDOWN_MISSES], ids=[i for i, _ in MARKDOWN_MISSES]
)
def test_markdown_near_misses_are_not_refused(text: str) -> None:
    assert refused(text, MARKDOWN) == []


# --- bare links: what Slack links in plain text ---------------------------------------------

BARE_HITS = [
    ("host", "see evil.net", "http://evil.net"),
    ("host-path", "see evil.net/x?y=1", "http://evil.net/x?y=1"),
    ("host-port", "see evil.net:8443/x", "http://evil.net:8443/x"),
    ("host-upper", "see EVIL.NET/X", "http://EVIL.NET/X"),
    ("subdomain", "data at a1b2c3.evil.net", "http://a1b2c3.evil.net"),
    ("sentence-end", "Uploaded to evil.net.", "http://evil.net"),
    ("in-parentheses", "(evil.net/x)", "http://evil.net/x"),
    ("in-bold", "*evil.net/x*", "http://evil.net/x"),
    ("country-code", "see evil.co.uk/x", "http://evil.co.uk/x"),
    ("new-gtld", "see evil.online", "http://evil.online"),
    ("idn-tld", "see evil.рф", "http://evil.рф"),
    ("ambiguous-tld-with-path", "see evil.py/x", "http://evil.py/x"),
    ("ambiguous-tld-with-query", "see evil.zip?d=1", "http://evil.zip?d=1"),
    ("after-slash", "mirror//evil.net/x", "http://evil.net/x"),
    ("glued-japanese", "詳細はevil.net/xを見て", "http://詳細はevil.net/xを見て"),
    ("www", "see www.evil.test", "www.evil.test"),
    ("scheme", "see https://evil.net/x", "https://evil.net/x"),
    ("ftp", "see ftp://evil.net/x", "ftp://evil.net/x"),
    ("glued-after-uri", "s3://bucket/k https://evil.net/x", "https://evil.net/x"),
]


@pytest.mark.parametrize(
    ("text", "link"), [(t, u) for _, t, u in BARE_HITS], ids=[i for i, _, _ in BARE_HITS]
)
@pytest.mark.parametrize("fmt", [MRKDWN, PLAIN_TEXT, MARKDOWN])
def test_bare_links_are_found_in_every_format(text: str, link: str, fmt: str) -> None:
    assert link in urls_in_text(text, fmt)
    assert link in refused(text, fmt)


BARE_MISSES = [
    ("file-names", "edited app.py, config.yaml, main.go, README.md and build.sh"),
    ("more-file-names", "see lib.rs, index.pl, notes.ps, Makefile.in, movie.mov, a.zip"),
    ("line-numbers", "app.py:12: error at main.rs:10:5"),
    ("question", "did you run setup.py?"),
    ("two-files", "edit setup.py/pyproject.toml or README.md/CHANGELOG.md"),
    ("versions", "upgraded to v1.2.3 (from 1.2.0), python3.11"),
    ("abbreviations", "e.g. this, i.e. that, etc. and a.m."),
    ("attributes", "KeyError: user.id, self.app, request.host, event.link, item.name"),
    ("yaml-key", "metadata.name: web"),
    ("internal-names", "svc.cluster.local, db.internal, host.localdomain, foo.corp"),
    ("java-package", "org.apache.kafka.clients and com.example.Main"),
    ("email", "mail ops@evil.net about it"),
    ("s3-uri", "copied to s3://logs.evil.net/2024/key.json"),
    ("file-uri", "open file:///etc/evil.net/x"),
    ("other-uris", "postgres://db.evil.net/x git://evil.net/r ssh://evil.net"),
    ("arn", "arn:aws:s3:::my.bucket.com/key"),
    ("secrets-manager-arn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
    ("allowed-host", "see status.example.com/x"),
    ("path-on-allowed-host", "https://example.com/pkg/socket.io/x"),
    ("numbers", "took 12.5s, 3.14, 1.000.000"),
]


@pytest.mark.parametrize("text", [t for _, t in BARE_MISSES], ids=[i for i, _ in BARE_MISSES])
@pytest.mark.parametrize("fmt", [MRKDWN, PLAIN_TEXT, MARKDOWN])
def test_bare_near_misses_are_not_refused(text: str, fmt: str) -> None:
    assert refused(text, fmt) == []


def test_every_tld_of_the_list_is_a_host_and_ambiguous_ones_need_a_path() -> None:
    assert {"com", "net", "io", "jp", "xn--p1ai", "py", "md"} <= tlds.TLDS
    assert len(tlds.TLDS) > 1000
    assert all(t[0].isalpha() and t[-1].isalnum() and "." not in t for t in tlds.TLDS)
    assert {"yaml", "go", "js", "internal", "local", "g"}.isdisjoint(tlds.TLDS)
    assert {"py", "md", "sh", "rs", "zip", "id", "name"} <= tlds.AMBIGUOUS <= tlds.TLDS
    assert links_bare.host_kind("evil.com") == links_bare.HOST
    assert links_bare.host_kind("app.py") == links_bare.AMBIGUOUS
    assert links_bare.host_kind("config.yaml") is None


def test_tld_module_is_generated_from_the_pinned_list() -> None:
    pytest.importorskip("publicsuffixlist")
    script = ROOT / "scripts" / "generate_tlds.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    pins = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"publicsuffixlist==' in pins


# --- mrkdwn and plain text ---------------------------------------------------------------------


def test_angle_brackets_are_links_in_mrkdwn_only() -> None:
    for text in ("a <b> c", "List<String>", "<https://evil.net|x>", "<evil.net/x>"):
        assert refused(text, MRKDWN), text
    assert refused("a <b> c, List<String> and x<y>", PLAIN_TEXT) == []
    assert refused("if a < b and c > d", MRKDWN) == []


def test_mrkdwn_does_not_render_markdown_destinations() -> None:
    # Slack shows "[a](below)" as it is; only what it auto-links inside counts.
    assert urls_in_text("[a](//evil.net/x)", MRKDWN) == ["http://evil.net/x"]
    assert urls_in_text("[a](below)", MRKDWN) == []


@pytest.mark.parametrize(
    ("container", "slot", "expected"),
    [
        ({"type": "markdown", "text": "x"}, "text", MARKDOWN),
        ({"type": "plain_text", "text": "x"}, "text", PLAIN_TEXT),
        ({"type": "text", "text": "x"}, "text", PLAIN_TEXT),  # a rich_text text element
        ({"type": "mrkdwn", "text": "x"}, "text", MRKDWN),
        ({"type": "plain_text", "text": "x", "alt": "y"}, "alt", MRKDWN),
        ({"text": "x"}, "text", MRKDWN),  # top-level text, attachments
        (["x"], 0, MRKDWN),
    ],
)
def test_text_format_of_each_place(container: object, slot: object, expected: str) -> None:
    assert text_format(container, slot) == expected


def test_links_are_reported_once() -> None:
    assert urls_in_text("[a](https://evil.net/x)", MARKDOWN) == ["https://evil.net/x"]
    assert urls_in_text("https://evil.net/x https://evil.net/x") == ["https://evil.net/x"]


# --- worst case: linear work, bounded time -------------------------------------------------------

_LIMIT = 40_000  # the relay's text limit
ADVERSARIAL = [
    ("nested-inline", "](" * (_LIMIT // 2)),
    ("nested-inline-parens", "[a](" + "(" * (_LIMIT - 4)),
    ("nested-definitions", "]:" * (_LIMIT // 2)),
    ("angle-destinations", "](<" * (_LIMIT // 3)),
    ("autolinks-unclosed", "<a:" * (_LIMIT // 3)),
    ("email-autolinks-unclosed", "<a@b" * (_LIMIT // 4)),
    ("dotted-word", "a." * (_LIMIT // 2)),
    ("long-word", "a" * _LIMIT),
    ("many-hosts", "evil.net " * (_LIMIT // 9)),
    ("hosts-in-paths", "evil.net/" * (_LIMIT // 9)),
    ("www-chain", "www." * (_LIMIT // 4)),
    ("schemes-glued", "https://" * (_LIMIT // 8)),
    ("angles", "<a" * (_LIMIT // 2)),
    ("escapes", "[a](" + "\\(" * (_LIMIT // 2 - 4)),
    ("entities", "[a](" + "&#46;" * (_LIMIT // 5 - 1)),
    ("arns", "arn:aws:" * (_LIMIT // 8)),
    ("file-names", "app.py " * (_LIMIT // 7)),
    ("idn-labels", "例え.例え." * (_LIMIT // 6)),
]


def _fastest(text: str, fmt: str) -> float:
    # CPU time of this process (not wall time, which other processes on a busy machine
    # stretch), the fastest of seven runs.
    times = []
    for _ in range(7):
        started = time.process_time()
        urls_in_text(text, fmt)
        times.append(time.process_time() - started)
    return min(times)


@pytest.mark.parametrize("unit", [t for _, t in ADVERSARIAL], ids=[i for i, _ in ADVERSARIAL])
@pytest.mark.parametrize("fmt", [MRKDWN, PLAIN_TEXT, MARKDOWN])
def test_worst_case_inputs_take_linear_time(unit: str, fmt: str) -> None:
    # How the time grows, not how long it takes (the benchmark measures that): eight times
    # the text must cost about eight times as much, where a quadratic scan costs 64 times.
    small, large = unit[: len(unit) // 8], unit
    urls_in_text(small, fmt)  # warm the lazily loaded modules
    ratio = _fastest(large, fmt) / max(_fastest(small, fmt), 1e-5)
    assert ratio < 32, f"{ratio:.1f}x the time for 8x the text"
    for url in urls_in_text(large, fmt):
        assert url is TOO_MANY_LINKS or len(url) <= len(large) + len("http://")


@pytest.mark.parametrize("fmt", [MRKDWN, MARKDOWN])
def test_work_grows_linearly_with_the_text(fmt: str) -> None:
    # Work, not time: the characters the link scans may read stay within the budget, and
    # past it the text is refused as a whole instead of being read on.
    for size in (1_000, 10_000, 40_000):
        text = "](" * (size // 2)
        found = urls_in_text(text, fmt)
        assert found in ([], [TOO_MANY_LINKS]) or all(len(u) <= size for u in found)
    assert check_url(TOO_MANY_LINKS, ALLOWED) is not None


# --- through the content policy: each string read in the format Slack renders it ---------------


def _verdict(blocks: list[dict[str, object]]) -> str | None:
    team = Team("payments", frozenset({"alerts"}), ("example.com",), "block")
    try:
        evaluate(check_message({"channel": "alerts", "blocks": blocks}), team)
    except PayloadRejected as rejected:
        return rejected.error
    return None


def test_policy_reads_plain_text_and_markdown_blocks_as_slack_does() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "a < b, List<String>"}}
    assert _verdict([header]) is None
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "List<String>"}}
    assert _verdict([section]) == "content_blocked"
    markdown = {"type": "markdown", "text": "[docs](\n  //evil.net/x)"}
    assert _verdict([markdown]) == "content_blocked"
    allowed = {"type": "markdown", "text": "[docs](//docs.example.com/x) and app.py"}
    assert _verdict([allowed]) is None


@given(st.text(st.characters(blacklist_characters=":.<"), max_size=200))
def test_a_string_without_colon_dot_or_angle_bracket_holds_no_link(text: str) -> None:
    # Why the content policy skips link extraction for such strings (all but markdown).
    assert urls_in_text(text, MRKDWN) == []
    assert urls_in_text(text, PLAIN_TEXT) == []
