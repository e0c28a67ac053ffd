"""The relay's URL policy: which links a team may post, and finding links in Slack text."""

from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_gateway.relay import urls
from shared_gateway.relay.urls import MAX_URL_LENGTH, URL_KEYS, check_url, urls_in_text

ALLOWED = ("example.com",)
SECRET = "AKIAIOSFODNN7EXAMPLE"

# --- check_url: accepted ------------------------------------------------------------------------

ACCEPTED = [
    ("https", "https://example.com/report?id=42#top"),
    ("http", "http://example.com/"),
    ("no-path", "https://example.com"),
    ("subdomain", "https://status.example.com/x"),
    ("deep-subdomain", "https://a.b.c.example.com/x"),
    ("upper-case", "HTTPS://EXAMPLE.COM/X"),
    ("mixed-case-scheme", "hTtPs://Example.Com/x"),
    ("trailing-dot", "https://example.com./x"),
    ("default-https-port", "https://example.com:443/x"),
    ("default-http-port", "http://example.com:80/x"),
    ("at-in-path", "https://example.com/@user"),
    ("at-after-path-in-fragment", "https://example.com/#@evil.net"),
    ("percent-in-path", "https://example.com/a%20b?q=%2F"),
    ("www-schemeless", "www.example.com/x"),
    ("www-schemeless-upper", "WWW.EXAMPLE.COM"),
    ("full-width-host", "https://ｅｘａｍｐｌｅ．ｃｏｍ/x"),
    ("japanese-path", "https://example.com/ドキュメント"),
    ("underscore-label", "https://my_service.example.com/"),
    ("digits-in-labels", "https://1.2.3.4.example.com/"),
    ("query-with-url", "https://example.com/login?next=https://evil.net/"),
    ("max-length", "https://example.com/" + "a" * (MAX_URL_LENGTH - len("https://example.com/"))),
]


@pytest.mark.parametrize("url", [url for _, url in ACCEPTED], ids=[i for i, _ in ACCEPTED])
def test_accepted(url: str) -> None:
    assert check_url(url, ALLOWED) is None


def test_idn_domain_written_in_unicode_matches_its_xn_form() -> None:
    assert check_url("https://bücher.example/", ["xn--bcher-kva.example"]) is None
    assert check_url("https://shop.bücher.example/", ["xn--bcher-kva.example"]) is None


def test_any_of_several_domains() -> None:
    assert check_url("https://docs.example.org/", ["example.com", "example.org"]) is None


# --- check_url: refused ---------------------------------------------------------------------------

REFUSED = [
    # (id, url, words the message must contain)
    ("other-domain", "https://evil.net/x", "under evil.net"),
    ("suffix-not-label-boundary", "https://notexample.com/", "under notexample.com"),
    ("allowed-as-subdomain-of-evil", "https://example.com.evil.net/", "under evil.net"),
    ("allowed-as-label-prefix", "https://example.com-evil.net/", "under com-evil.net"),
    ("userinfo-host-lookalike", "https://example.com@evil.net/", "user name"),
    ("userinfo-password", "https://user:pw@example.com/", "user name"),
    ("userinfo-empty", "https://@example.com/", "user name"),
    ("at-in-fragment-before-path", "https://example.com#@evil.net", "user name"),
    ("at-in-query-before-path", "https://example.com?@evil.net", "user name"),
    ("backslash-before-at", "https://evil.net\\@example.com", "backslash"),
    ("backslash-as-slash", "https:/\\evil.net", "backslash"),
    ("backslash-in-path", "https://example.com\\path", "backslash"),
    ("protocol-relative", "//evil.net/x", "no http"),
    ("schemeless-host", "evil.net/x", "no http"),
    ("schemeless-allowed-host", "example.com/x", "no http"),
    ("one-slash", "https:/evil.net", "followed by '//'"),
    ("no-slash", "https:evil.net", "followed by '//'"),
    ("three-slashes", "https:///evil.net", "followed by '//'"),
    ("no-host", "https://", "followed by '//'"),
    ("no-host-with-port", "https://:443/x", "no host name"),
    ("javascript", "javascript:alert(document.cookie)", "javascript: links"),
    ("javascript-upper", "JAVASCRIPT:alert(1)", "javascript: links"),
    ("data", "data:text/html;base64,PHNjcmlwdD4=", "data: links"),
    ("mailto", "mailto:someone@evil.net", "mailto: links"),
    ("slack", "slack://open?team=T123", "slack: links"),
    ("ftp", "ftp://example.com/file", "ftp: links"),
    ("file", "file:///etc/passwd", "file: links"),
    ("unknown-scheme", "gopher://example.com/", "links with this scheme"),
    ("ipv4-dotted", "http://127.0.0.1/", "IP address"),
    ("ipv4-decimal", "http://2130706433/", "IP address"),
    ("ipv4-hex", "http://0x7f000001/", "IP address"),
    ("ipv4-octal", "http://0177.0.0.1/", "IP address"),
    ("ipv4-short", "http://127.1/", "IP address"),
    ("ipv4-trailing-dot", "http://10.0.0.1./", "IP address"),
    ("ipv6-loopback", "http://[::1]/", "IP address"),
    ("ipv6-mapped", "http://[::ffff:127.0.0.1]:80/", "IP address"),
    ("percent-encoded-host", "https://%65xample.com/", "percent-encoded"),
    ("percent-encoded-dot", "https://evil.net%2Eexample.com/", "percent-encoded"),
    ("non-default-port", "https://example.com:8443/", "port"),
    ("http-port-on-https", "https://example.com:80/", "port"),
    ("https-port-on-http", "http://example.com:443/", "port"),
    ("empty-port", "https://example.com:/", "port"),
    ("leading-zero-port", "https://example.com:0443/", "port"),
    ("two-trailing-dots", "https://example.com../", "not a valid domain"),
    ("empty-label", "https://a..example.com/", "not a valid domain"),
    ("leading-dot", "https://.example.com/", "not a valid domain"),
    ("space", "https://example.com/a b", "whitespace"),
    ("tab-in-host", "https://exa\tmple.com/", "whitespace"),
    ("newline", "https://example.com\n.evil.net/", "whitespace"),
    ("leading-space", " https://example.com/", "whitespace"),
    ("nul", "https://example.com/\x00", "control"),
    ("zero-width-space", "https://exa\u200bmple.com/", "invisible"),
    ("bidi-override", "https://example.com/\u202egnp.exe", "invisible"),
    ("ideographic-space", "https://example.com/\u3000x", "whitespace"),
    ("cyrillic-a-lookalike", "https://exаmple.com/", "under xn--"),
    ("greek-omicron-lookalike", "https://examplе.cοm/", "not allowed"),
    ("full-width-slash-host", "https://evil.net／example.com", "not a valid domain"),
    ("full-width-at", "https://example.com＠evil.net/", "not a valid domain"),
    ("ideographic-dot-to-evil", "https://example.com。evil.net/", "under evil.net"),
    ("sharp-s", "https://faß.example.com/", "ß or ς"),
    ("japanese-glued-to-host", "https://example.comを見て", "put a space after the link"),
    ("www-other-domain", "www.evil.net/x", "under evil.net"),
    ("localhost", "http://localhost/", "under localhost"),
    ("too-long", "https://example.com/" + "a" * MAX_URL_LENGTH, "too long"),
    ("empty", "", "empty"),
]


@pytest.mark.parametrize(
    ("url", "words"), [(u, w) for _, u, w in REFUSED], ids=[i for i, _, _ in REFUSED]
)
def test_refused(url: str, words: str) -> None:
    message = check_url(url, ALLOWED)
    assert message is not None
    assert words in message
    assert "\n" not in message


def test_refusal_names_the_allowed_domains_and_how_to_fix() -> None:
    message = check_url("https://evil.net/x", ["example.com"])
    assert message is not None
    assert message.startswith("link to a host under evil.net is not allowed — ")
    assert "this team may link only to example.com and its subdomains" in message

    message = check_url("https://evil.net/x", ["example.com", "example.org"])
    assert message is not None
    assert "example.com, example.org and their subdomains" in message


def test_no_allowed_domains_means_no_links() -> None:
    for url in ("https://example.com/", "http://127.0.0.1/", "www.example.com"):
        message = check_url(url, [])
        assert message is not None
        assert "may not post links" in message


def test_not_a_string_is_refused_not_raised() -> None:
    assert check_url(None, ALLOWED) is not None  # type: ignore[arg-type]
    assert check_url(b"https://example.com", ALLOWED) is not None  # type: ignore[arg-type]


# The message is shown to the caller and logged: it must not carry the URL's path or query,
# nor a long label that may itself be the secret.
LEAKY = [
    ("path", f"https://evil.net/{SECRET}"),
    ("query", f"https://evil.net/x?k={SECRET}"),
    ("fragment", f"https://evil.net/#{SECRET}"),
    ("subdomain", f"https://{SECRET.lower()}.evil.net/"),
    ("top-label", f"https://example.{SECRET.lower()}xyz/"),
    ("userinfo", f"https://{SECRET}@example.com/"),
    ("port", f"https://example.com:{SECRET}/"),
    ("scheme", f"{SECRET}://example.com/"),
    ("ip", f"http://127.0.0.1/{SECRET}"),
    ("too-long", f"https://evil.net/{SECRET}" + "a" * MAX_URL_LENGTH),
    ("whitespace", f"https://evil.net/{SECRET} x"),
    ("javascript", f"javascript:fetch('//evil.net/{SECRET}')"),
]


@pytest.mark.parametrize("url", [u for _, u in LEAKY], ids=[i for i, _ in LEAKY])
def test_message_never_repeats_the_url(url: str) -> None:
    message = check_url(url, ALLOWED)
    assert message is not None
    assert SECRET not in message
    assert SECRET.lower() not in message
    assert url not in message


def test_url_keys_cover_block_kit_and_attachments() -> None:
    expected = {
        "url",
        "image_url",
        "thumb_url",
        "author_icon",
        "author_link",
        "footer_icon",
        "title_link",
        "icon_url",
        "video_url",
        "thumbnail_url",
        "title_url",
        "provider_icon_url",
        "from_url",
        "original_url",
        "service_icon",
    }
    assert expected <= URL_KEYS
    assert isinstance(URL_KEYS, frozenset)
    assert "text" not in URL_KEYS and "alt_text" not in URL_KEYS


# --- urls_in_text ---------------------------------------------------------------------------------

EXTRACTION = [
    ("plain-text", "Deploy finished in 12s at 12:30.", []),
    ("empty", "", []),
    ("angle-with-label", "see <https://example.com/r|the report>", ["https://example.com/r"]),
    ("angle-without-label", "see <https://example.com/r>", ["https://example.com/r"]),
    ("label-with-pipe", "<https://example.com/r|a | b | c>", ["https://example.com/r"]),
    (
        "url-in-label",
        "<https://example.com|see https://evil.net/x>",
        ["https://example.com", "https://evil.net/x"],
    ),
    ("user-mention", "hi <@U123ABC> and <@U456|bob>", []),
    ("channel-mention", "in <#C123ABC> and <#C456|general>", []),
    ("special-mentions", "<!here> <!channel> <!everyone>", []),
    ("subteam-mention", "ping <!subteam^S123|@oncall>", []),
    ("date-without-link", "<!date^1392734382^{date_num}|2014-02-18>", []),
    (
        "date-with-link",
        "<!date^1392734382^{date} at {time}^https://evil.net/x|Feb 18>",
        ["https://evil.net/x"],
    ),
    ("mailto", "<mailto:ops@evil.net|mail us>", ["mailto:ops@evil.net"]),
    ("schemeless-angle", "<evil.net/x|click>", ["evil.net/x"]),
    ("unescaped-angle-word", "List<String>", ["String"]),
    ("angle-then-space-is-text", "a < b and c > d", []),
    ("escaped-angles", "&lt;https://evil.net/x&gt;", ["https://evil.net/x&gt"]),
    ("bare", "go to https://example.com/x now", ["https://example.com/x"]),
    (
        "bare-at-start-and-end",
        "https://a.example.com https://b.example.com",
        [
            "https://a.example.com",
            "https://b.example.com",
        ],
    ),
    ("bare-in-parentheses", "(see https://example.com/x).", ["https://example.com/x"]),
    ("bare-in-bold", "*https://example.com/x*", ["https://example.com/x"]),
    ("bare-sentence-end", "Done: https://example.com/x.", ["https://example.com/x"]),
    ("bare-other-scheme", "ftp://files.evil.net/dump", ["ftp://files.evil.net/dump"]),
    ("bare-odd-slashes", "https:/\\evil.net/x", ["https:/\\evil.net/x"]),
    ("windows-path-is-not-a-link", "saved to C:\\Users\\ops\\report.txt", []),
    ("www", "visit www.example.com/x today", ["www.example.com/x"]),
    ("www-upper-and-mixed", "WWW.EVIL.NET and Www.evil.net", ["WWW.EVIL.NET", "Www.evil.net"]),
    ("www-inside-scheme-link-once", "https://www.example.com/x", ["https://www.example.com/x"]),
    ("www-alone", "the www. prefix", []),
    (
        "several",
        "<https://example.com/a|A>, https://example.com/b and www.example.com/c",
        ["https://example.com/a", "https://example.com/b", "www.example.com/c"],
    ),
    (
        "japanese-spaced",
        "詳細は https://example.com/docs を見てください。",
        ["https://example.com/docs"],
    ),
    (
        "japanese-glued",
        "詳細はhttps://example.com/docsを見てください",
        ["https://example.com/docsを見てください"],
    ),
    (
        "japanese-ideographic-space",
        "リンク：https://example.com/ja\u3000次へ",
        ["https://example.com/ja"],
    ),
    (
        "japanese-angle",
        "<https://example.com/ja|日本語のリンク>です",
        ["https://example.com/ja"],
    ),
    (
        "glued-links-all-reported",
        "https://example.com/docsを見てhttps://evil.net/y",
        ["https://example.com/docsを見てhttps://evil.net/y", "https://evil.net/y"],
    ),
    (
        "glued-scheme-is-read-whole",
        "https://example.com/xhttps://evil.net/y",
        ["https://example.com/xhttps://evil.net/y", "xhttps://evil.net/y"],
    ),
    ("empty-angle-target", "<|label> <>", []),
    ("markdown-link", "[docs](https://example.com/d)", ["https://example.com/d"]),
    # mrkdwn does not render [text](dest); the bare host inside is what Slack links.
    ("markdown-schemeless", "[docs](evil.net/d)", ["http://evil.net/d"]),
    ("markdown-protocol-relative", "[docs](//evil.net/d)", ["http://evil.net/d"]),
    ("markdown-footnote-is-prose", "see [1](below)", []),
    ("bare-unclosed-angle", "<https://evil.net/x", ["https://evil.net/x"]),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in EXTRACTION], ids=[i for i, _, _ in EXTRACTION]
)
def test_urls_in_text(text: str, expected: list[str]) -> None:
    assert urls_in_text(text) == expected


def test_links_found_in_text_are_then_checked() -> None:
    text = "ok <https://example.com/a|A>, not https://evil.net/b, <!date^1^{date}^www.evil.net|x>"
    refused = [url for url in urls_in_text(text) if check_url(url, ALLOWED)]
    assert refused == ["www.evil.net", "https://evil.net/b"]


def test_long_text_without_links_is_fast() -> None:
    text = ("The build finished in 12:30 minutes; 日本語のテキスト [a] now. " * 800)[:40_000]
    assert urls_in_text(text) == []
    started = time.perf_counter()
    for _ in range(20):
        urls_in_text(text)
    # Typically well under a millisecond; the bound only catches a quadratic regression.
    assert (time.perf_counter() - started) / 20 < 0.02


# --- properties -----------------------------------------------------------------------------------

_LABELS = st.sampled_from(
    [
        "example",
        "com",
        "evil",
        "net",
        "www",
        "a",
        "xn--80ak6aa92e",
        "ｅｘａｍｐｌｅ",
        "exаmple",
        "127",
        "0x7f",
        "ß",
        "例え",
        "",
    ]
)
_HOSTS = st.lists(_LABELS, min_size=1, max_size=4).map(".".join)
_PIECES = st.sampled_from(
    [
        "",
        "/",
        "@",
        "#",
        "?",
        ":",
        "\\",
        "//",
        "%2e",
        ".",
        "．",
        "。",
        "＠",
        "／",
        " ",
        "\t",
        "[",
        "]",
        ":443",
        ":80",
        ":8080",
        "user:pw@",
        "example.com",
        "evil.net",
    ]
)


def _url_strategy() -> st.SearchStrategy[str]:
    """URLs assembled from tricky pieces, often ending in the allowed domain."""
    scheme = st.sampled_from(
        [
            "https://",
            "http://",
            "HTTPS://",
            "https:/",
            "https:",
            "//",
            "",
            "www.",
            "javascript:",
            "https:\\\\",
            "ftp://",
        ]
    )
    suffix = st.sampled_from(["", ".example.com", ".example.com.", "example.com", ".com"])
    tail = st.one_of(st.text(alphabet="ab/?#@:.%\\＠／。", max_size=12), st.text(max_size=8))
    return st.tuples(
        scheme, st.lists(_PIECES, max_size=2), _HOSTS, suffix, st.lists(_PIECES, max_size=2), tail
    ).map(lambda p: p[0] + "".join(p[1]) + p[2] + p[3] + "".join(p[4]) + p[5])


def _host_of_accepted(url: str) -> str:
    """The host as a lenient parser (urllib) sees it, IDNA-encoded."""
    if url[:4].lower() == "www.":
        url = "http://" + url
    host = urlsplit(url).hostname or ""
    host = unicodedata.normalize("NFKC", host).replace("\u3002", ".")
    return host.encode("idna").decode("ascii").lower().rstrip(".")


@settings(max_examples=1000, deadline=None)
@given(url=st.one_of(_url_strategy(), st.text(max_size=60)))
def test_check_url_never_raises_and_accepts_only_allowed_hosts(url: str) -> None:
    message = check_url(url, ALLOWED)
    if message is None:
        host = _host_of_accepted(url)
        assert host == "example.com" or host.endswith(".example.com"), (url, host)
        assert "@" not in urlsplit(url if "//" in url else "http://" + url).netloc
    else:
        assert isinstance(message, str) and "\n" not in message


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"ahtps:/\\<>|@!#^w. \n[]()日本", "com", "py", "net", "arn:"]),
        max_size=40,
    ).map("".join)
)
def test_urls_in_text_returns_substrings_of_the_text(text: str) -> None:
    # Bare host names come back with the scheme a click adds; the rest is as written.
    for url in urls_in_text(text):
        assert url and url.removeprefix("http://") in text


# --- check_url: the fast path for plain links ---------------------------------------------------

_PLAIN_TAILS = st.one_of(
    st.text(alphabet="/ab?#@:%.-_~\\ \t\x7f\u200b/＠", max_size=12),
    st.text(alphabet="ab@:%\\ \t\x7f\u200b\n＠é", max_size=6).map(lambda tail: "/" + tail),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12),
    st.sampled_from(["", "/", "/x", "?q=1", "#top", "#@evil.net", "/@evil.net", ":443/", ":8080"]),
)
_PLAIN_HOSTS = st.one_of(
    st.from_regex(r"[a-z0-9_.-]{1,20}", fullmatch=True),
    # Mostly hosts the fast path may allow: tricky labels in front of the allowed domain.
    st.from_regex(r"[a-z0-9_.-]{0,8}", fullmatch=True).map(lambda p: p + "example.com"),
    st.from_regex(r"[a-z0-9_.-]{0,8}", fullmatch=True).map(lambda p: p + "example.com."),
    st.sampled_from(
        [
            "example.com",
            "status.example.com",
            "example.com.",
            "example.com..",
            "evilexample.com",
            "example.com.evil.net",
            ".example.com",
            "-a.example.com",
            "a-.example.com",
            "a_b.example.com",
            "127.0.0.1",
            "0x7f.example.com",
            "1.example.123",
            "example.0x1f",
            "a." * 130 + "example.com",
            "a" * 64 + ".example.com",
            "a" * 63 + ".example.com",
            "Example.com",
        ]
    ),
)


@settings(max_examples=2000, deadline=None)
@given(
    scheme=st.sampled_from(["https://", "http://", "https://", "HTTPS://", "https:/", "www."]),
    host=_PLAIN_HOSTS,
    tail=_PLAIN_TAILS,
    domains=st.sampled_from(
        [("example.com",), ("example.com",), ("evil.net", "example.com"), (), ("com",), ("",)]
    ),
)
def test_check_url_fast_path_decides_as_the_full_check(
    scheme: str, host: str, tail: str, domains: tuple[str, ...]
) -> None:
    url = scheme + host + tail
    assert check_url(url, domains) == urls._check_url_fully(url, domains), url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/" + "a" * (MAX_URL_LENGTH - 19),  # one over the length limit
        "https://example.com/a\\b",
        "https://example.com/a b",
        "https://127.0.0.1/x",
        "https://2130706433/",
        "https://example.com../x",
        "https://evilexample.com/x",
    ],
)
def test_check_url_fast_path_never_allows_what_the_full_check_refuses(url: str) -> None:
    assert urls._check_url_fully(url, ALLOWED) is not None
    assert check_url(url, ALLOWED) == urls._check_url_fully(url, ALLOWED)


def test_check_url_fast_path_allows_plain_links() -> None:
    for url in (
        "https://example.com",
        "http://status.example.com/a/b?c=d#e",
        "https://example.com./",
    ):
        assert urls._PLAIN_URL.fullmatch(url) is not None
        assert check_url(url, ALLOWED) is None
