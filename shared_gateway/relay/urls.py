"""URL policy: which links a team may put into a Slack message.

A URL that Slack fetches (images, icons, video thumbnails) or that a reader clicks (buttons,
titles, mrkdwn links) can carry data to whoever runs its host, so every URL in a message must
point to one of the team's allowed domains (``link_domains`` in the registry) or a subdomain.

Pure functions, standard library only. The authority section is validated here by hand instead
of trusting ``urllib.parse``, which is lax and disagrees with browsers on tricky inputs such as
``https://example.com\\@evil.net``.

Decisions worth knowing:

* Only ``http`` and ``https``. A schemeless ``www.`` link is read as ``http://www...``, the way
  Slack auto-links it; every other schemeless string (``//evil.net``, ``evil.net/x``) is refused.
* A port is allowed only when it is the scheme's default, written plainly (``:443`` for https,
  ``:80`` for http); any other port, an empty port or a leading zero is refused.
* Full-width letters and dots (``ｅｘａｍｐｌｅ．com``) are mapped the way browsers map them
  (NFKC, which the relay applies to all text anyway) and then IDNA-encoded, so they compare as
  their ASCII form. Look-alike letters from other scripts become ``xn--`` names and do not match.
  ``ß`` and ``ς`` in a host are refused: IDNA 2003 and browsers (UTS #46) map them differently.
* An ``@`` anywhere between ``//`` and the first ``/`` is refused, even in a query or fragment
  (``https://example.com#@evil.net``): older parsers read the part before it as a user name.
* Backslashes are refused anywhere: browsers read them as ``/``, other parsers do not.
* IP literals are refused in every form browsers accept: dotted, decimal (``http://2130706433``),
  hex, octal, short (``127.1``) and bracketed IPv6.
* Whitespace, control and invisible (format) characters are refused anywhere in the URL.
* At most ``MAX_URL_LENGTH`` (3000) characters, Slack's own limit for button and option URLs.
* ``allowed_domains`` are compared as given (the registry stores them lowercase, IDNA-encoded,
  without a trailing dot); a domain written otherwise matches nothing, which fails closed.

Messages never repeat the URL (its path or query may hold a secret): they name at most the
host's last two labels, masking any label longer than 16 characters (it may be the secret).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from .reasons import mask

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_URL_LENGTH = 3000

URL_KEYS: frozenset[str] = frozenset(
    {
        # Block Kit: buttons, overflow options, rich_text links, slack_file objects,
        # url sources in plan/task blocks, work-object entities and action buttons.
        "url",
        # Block Kit image blocks and image elements (also card hero images and icons),
        # legacy attachments, work-object fields.
        "image_url",
        # Block Kit video block.
        "video_url",
        "thumbnail_url",
        "title_url",
        "provider_icon_url",
        # Message-level bot icon (impersonation; the payload policy strips it, but if it is
        # kept it is a URL Slack fetches).
        "icon_url",
        # Legacy (secondary) attachments.
        "author_icon",
        "author_link",
        "footer_icon",
        "title_link",
        "thumb_url",
        # Unfurl-shaped attachments.
        "from_url",
        "original_url",
        "service_icon",
        "service_url",
        "app_unfurl_url",
        "iconUrl",  # attachment `preview` object (camelCase in Slack's schema)
        # Work Objects (message metadata entities).
        "entity_url",
        "preview_url",
        "link",
    }
)

# Schemes worth naming in a message; any other scheme is described, not echoed, because the
# "scheme" of a string that is not really a URL can be anything (even a secret).
_KNOWN_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "data",
        "blob",
        "mailto",
        "tel",
        "sms",
        "slack",
        "ftp",
        "ftps",
        "sftp",
        "ssh",
        "file",
        "ws",
        "wss",
        "about",
        "chrome",
        "intent",
        "itms",
        "market",
        "view-source",
    }
)
# The allowed schemes and the one port each may name explicitly.
_DEFAULT_PORTS = {"http": "80", "https": "443"}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# After the scheme: "//", the authority (up to / ? #), then whatever precedes the first "/".
_AUTHORITY = re.compile(r"//([^/?#]*)([^/]*)")
# A host name after IDNA encoding: dot-separated labels of letters, digits, hyphens and
# underscores (which occur in real host names and are harmless), no empty label.
_HOST_NAME = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?"
)
# WHATWG URL parsing treats a host whose last label is a number (decimal, octal or 0x-hex)
# as an IPv4 address: 2130706433, 0x7f000001, 0177.0.0.1, 127.1 all reach 127.0.0.1.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
# After NFKC, U+FF0E and U+FF61 are already "." or U+3002; IDNA and browsers also read U+3002
# as a label separator.
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": "."})

_LONGEST_SHOWN_LABEL = 16
_MALFORMED = "link is a malformed URL"
_NO_SCHEME_FIX = (
    "write the full address, e.g. https://host/path (in text, write &lt; and &gt; for a literal "
    "angle bracket)"
)


# The shape nearly every link has: http(s)://, a lowercase ASCII host name, then nothing or a
# path of printable ASCII without a backslash. Such a URL passes every check that comes
# before the host name's in `_check_url_fully` (no whitespace, no '@' before the path, no
# port, no IP brackets, no percent-encoding), so only the host checks need to run.
_PLAIN_URL = re.compile(r"https?://([a-z0-9_.-]+)(?:/[!-\[\]-~]*)?")


def check_url(url: str, allowed_domains: Sequence[str]) -> str | None:
    """None when `url` may appear in a message, else a one-line message: what is wrong, how to fix.

    `allowed_domains` are lowercase ASCII (IDNA) bare domains; a host matches one when it is
    the domain itself or a subdomain of it. An empty `allowed_domains` allows no link at all.
    """
    # Fast path, on every link of every message: it only ever allows, and only what the full
    # check allows too; anything else (every refusal included) takes the full check.
    if isinstance(url, str) and len(url) <= MAX_URL_LENGTH:
        plain = _PLAIN_URL.fullmatch(url)
        if plain is not None:
            name = _ascii_host_name(plain.group(1))
            if (
                name is not None
                and not _NUMERIC_LABEL.fullmatch(name, name.rfind(".") + 1)
                and _host_allowed(name, allowed_domains)
            ):
                return None
    return _check_url_fully(url, allowed_domains)


def _check_url_fully(url: str, allowed_domains: Sequence[str]) -> str | None:
    """`check_url` without its fast path."""
    if not isinstance(url, str) or not url:
        if url is TOO_MANY_LINKS:
            return _TOO_MANY_LINKS_MESSAGE
        return f"{_MALFORMED}: it is empty — {_NO_SCHEME_FIX}"
    if len(url) > MAX_URL_LENGTH:
        return (
            f"link is too long ({len(url)} characters, at most {MAX_URL_LENGTH}) — shorten it, "
            "e.g. link to a page that holds the details"
        )
    # isprintable() is False for every control, format (zero-width, bidi), separator, private-use
    # and unassigned character; the ASCII space is the one exception it makes.
    if not url.isprintable() or " " in url:
        return (
            "link contains whitespace, control or invisible characters — remove them or "
            "percent-encode them (a space is %20)"
        )
    if "\\" in url:
        return (
            f"{_MALFORMED}: it contains a backslash, which browsers read as '/' — use '/' "
            "(or %5C inside the path)"
        )

    if url[:4].lower() == "www.":
        scheme, rest = "http", "//" + url  # Slack auto-links schemeless www. hosts as http
    else:
        match = _SCHEME.match(url)
        if match is None:
            return f"{_MALFORMED}: it has no http:// or https:// scheme — {_NO_SCHEME_FIX}"
        scheme = match.group(1).lower()
        rest = url[match.end() :]
        if scheme not in _DEFAULT_PORTS:
            named = f"{scheme}: links" if scheme in _KNOWN_SCHEMES else "links with this scheme"
            return f"{named} are not allowed — only http:// and https:// links are"

    # Exactly two slashes, then the host: refuses https:evil.net, https:/evil.net and
    # https:///evil.net, which browsers still resolve to evil.net.
    parts = _AUTHORITY.match(rest)
    if parts is None or not parts.group(1):
        return (
            f"{_MALFORMED}: the scheme must be followed by '//' and a host name — write it as "
            "https://host/path"
        )
    authority, before_path = parts.groups()
    if "@" in authority or "@" in before_path:
        return (
            "link has a user name or an '@' before its path, which can hide the real host — "
            "remove the part up to the '@' (an '@' after the first '/' is fine)"
        )
    if authority.startswith("["):
        return _ip_message(allowed_domains)
    host, colon, port = authority.partition(":")
    if colon and port != _DEFAULT_PORTS[scheme]:
        return (
            "link names a port other than the default — remove the ':port' part (only :443 for "
            "https and :80 for http are allowed)"
        )
    if not host:
        return f"{_MALFORMED}: it has no host name — write it as https://host/path"
    if "%" in host:
        return f"{_MALFORMED}: its host name is percent-encoded — write the host name plainly"
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).translate(_IDEOGRAPHIC_DOTS)
        if "ß" in host or "ς" in host:
            return (
                "link host name contains ß or ς, which browsers and IDNA 2003 read differently — "
                "write the host name in its xn-- form"
            )

    name = _ascii_host_name(host)
    if name is None:
        return (
            f"{_MALFORMED}: its host name is not a valid domain name — check the address; if "
            "text follows the link directly, put a space after the link"
        )
    last_dot = name.rfind(".")
    if _NUMERIC_LABEL.fullmatch(name, last_dot + 1):
        return _ip_message(allowed_domains)
    if _host_allowed(name, allowed_domains):
        return None

    # Name only the last two labels, and mask long ones: a label can itself be the secret.
    tail = ".".join(
        mask(label) if len(label) > _LONGEST_SHOWN_LABEL else label
        for label in name.split(".")[-2:]
    )
    if not allowed_domains:
        return (
            f"link to a host under {tail} is not allowed — this team may not post links "
            "(its link_domains list in the registry is empty)"
        )
    hint = (
        "; if text follows the link directly, put a space after the link"
        if not parts.group(1).isascii()
        else ""
    )
    return (
        f"link to a host under {tail} is not allowed — this team may link only to "
        f"{_describe(allowed_domains)} and {_its_or_their(allowed_domains)} subdomains "
        f"(ask for the domain to be added to link_domains{hint})"
    )


def _host_allowed(name: str, allowed_domains: Sequence[str]) -> bool:
    """Whether the host `name` is one of `allowed_domains` or a subdomain of one."""
    for domain in allowed_domains:
        if name == domain or (name.endswith(domain) and name[-len(domain) - 1] == "."):
            return True
    return False


def _ascii_host_name(host: str) -> str | None:
    """`host` as lowercase ASCII (IDNA) labels without a trailing dot; None if not a valid name."""
    name = host.lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if name.endswith("."):
        name = name[:-1]  # the fully qualified form names the same host
    if len(name) > 253 or not _HOST_NAME.fullmatch(name):
        return None
    return name


def _ip_message(allowed_domains: Sequence[str]) -> str:
    if not allowed_domains:
        return "link to an IP address is not allowed — this team may not post links"
    return (
        f"link to an IP address is not allowed — use a host name under {_describe(allowed_domains)}"
    )


def _describe(allowed_domains: Sequence[str], limit: int = 5) -> str:
    """``example.com`` or ``a.com, b.com`` (the registry's domains are not secret)."""
    shown = ", ".join(allowed_domains[:limit])
    more = len(allowed_domains) - limit
    return f"{shown} (and {more} more)" if more > 0 else shown


def _its_or_their(allowed_domains: Sequence[str]) -> str:
    return "its" if len(allowed_domains) == 1 else "their"


# --- finding links in text -------------------------------------------------------------------
#
# Scanning is driven by cheap anchors (":/", ":\", "www.", "](") found with fast substring
# searches, instead of one big regular expression tried at every position: that would cost
# milliseconds on a long message without links, and every message passes through here.

# `<target>` or `<target|label>`; a `<` followed by whitespace is literal text in Slack.
_ANGLE = re.compile(r"<([^<>\s][^<>]*)>")
_SCHEME_SEPARATOR = re.compile(r":[/\\]")
_MARKDOWN_TARGET = re.compile(r"\]\(")
_WWW = re.compile(r"[Ww][Ww][Ww]\.")
# A link runs to the next whitespace or angle bracket. Deliberately greedy: Slack's auto-linker
# keeps non-ASCII text glued to a URL, and cutting a match short could hide the real host.
_LINK_TAIL = re.compile(r"[^\s<>]*")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_MAX_SCHEME_LENGTH = 64
# Punctuation that ends a sentence or closes a bracket or a mrkdwn format rather than a URL.
# Leaving it off cannot hide a host: what remains is what a browser reaches, or else the
# original ends in a name no public resolver serves (`example.com)`, `example.com*`).
_TRAILING = ".,;:!?'\")]}*_~`。、，．！？」』）】"
_MENTION_STARTS = ("@", "#", "!")


def urls_in_text(text: str) -> list[str]:
    """Every link in a Slack mrkdwn or plain-text string, as written.

    First the targets of `<url|label>` and `<url>` (not the mentions `<@U..>`, `<#C..>`,
    `<!here>`, `<!subteam^..>`; for `<!date^ts^format^link|fallback>` its optional link), then,
    in text order, bare `scheme://` URLs anywhere (and http(s) with odd slashes such as
    `https:/\\host`, which browsers accept), schemeless `www.` hosts, and Markdown targets
    `[label](target)` that look like an address. Labels are scanned for bare links too.
    Trailing sentence punctuation is left off bare links. Any other `<target>` is returned as
    well, so that `check_url` refuses it: Slack reads unescaped angle brackets as a link.
    """
    has_angle = "<" in text
    has_scheme = ":" in text and _SCHEME_SEPARATOR.search(text) is not None
    has_markdown = "]" in text and "](" in text
    has_www = "." in text and b"www." in text.encode("utf-8", "surrogatepass").lower()
    if not (has_angle or has_scheme or has_markdown or has_www):
        return []
    found: list[str] = []
    if has_angle:

        def take_target(match: re.Match[str]) -> str:
            target, _, label = match.group(1).partition("|")
            if target and not target.startswith(_MENTION_STARTS):
                found.append(target)
            elif target.startswith("!date^"):
                parts = target.split("^", 3)
                if len(parts) == 4 and parts[3]:
                    found.append(parts[3])
            # The label stays in the text to be scanned, fenced off by line breaks.
            return f"\n{label}\n"

        text = _ANGLE.sub(take_target, text)
    if has_scheme or has_markdown or has_www:
        _scan_plain(text, (has_scheme, has_markdown, has_www), found)
    return found


def _scan_plain(segment: str, flags: tuple[bool, bool, bool], found: list[str]) -> None:
    """Appends the bare links in `segment` (its `<...>` targets already taken out) to `found`.

    Links can nest ("www.www.www...", "](](..."), and each one runs to the next whitespace,
    so their total length can grow with the square of the text's: past a budget of a few
    times the text's length, a marker that `check_url` refuses stands for the rest.
    """
    has_scheme, has_markdown, has_www = flags
    spans: list[tuple[int, int]] = []
    budget = _LINK_BUDGET_FACTOR * len(segment) + 2 * MAX_URL_LENGTH

    def tail_end(start: int) -> int:
        nonlocal budget
        end = _LINK_TAIL.match(segment, start).end()  # type: ignore[union-attr]
        budget -= end - start
        return end

    if has_scheme:
        for match in _SCHEME_SEPARATOR.finditer(segment):
            start = _scheme_start(segment, match.start())
            if start < 0:
                continue
            if not segment.startswith("://", match.start()) and segment[
                start : match.start()
            ].lower() not in ("http", "https"):
                continue  # only http(s) is worth reading with odd slashes, as browsers do
            spans.append((start, tail_end(match.start() + 1)))
            if budget < 0:
                break
    if has_markdown and budget >= 0:
        for match in _MARKDOWN_TARGET.finditer(segment):
            start = match.end()
            end = tail_end(start)
            if budget < 0:
                break
            if _looks_like_address(segment[start:end]):
                spans.append((start, end))
    if has_www and "." in segment and budget >= 0:
        for start in _www_positions(segment):
            if start >= 2 and segment.startswith("//", start - 2):
                continue  # the host of a scheme://www... link, which is checked whole
            end = tail_end(start + 4)
            if end > start + 4:
                spans.append((start, end))
            if budget < 0:
                break
    if budget < 0:
        found.append(TOO_MANY_LINKS)
        return
    if not spans:
        return
    # Links glued together ("https://a.example/xhttps://evil.net") are all reported, the outer
    # and the inner one: an auto-linker that splits them differently must not hide a host.
    spans.sort()
    previous = -1
    for start, end in spans:
        if start == previous:
            continue  # a Markdown target that is also a scheme:// link
        previous = start
        link = segment[start:end].rstrip(_TRAILING)
        if link:
            found.append(link)


class _TooManyLinks(str):
    """Stands for the links of a text that nests more of them than is worth reading."""


# Returned by `urls_in_text` in place of links past its budget; `check_url` refuses it.
TOO_MANY_LINKS = _TooManyLinks("")
_LINK_BUDGET_FACTOR = 4
_TOO_MANY_LINKS_MESSAGE = (
    "text holds too many links nested in one another to check — put whitespace between links"
)


def _scheme_start(segment: str, colon: int) -> int:
    """Where the scheme ending at `colon` starts (its first letter), or -1 when there is none."""
    start = colon
    limit = max(0, colon - _MAX_SCHEME_LENGTH)
    while start > limit and segment[start - 1] in _SCHEME_CHARS:
        start -= 1
    while start < colon and not segment[start].isalpha():
        start += 1  # the run holds ASCII only, so isalpha() means a-z or A-Z
    return start if start < colon else -1


def _www_positions(segment: str) -> list[int]:
    """Start indices of `www.` in any letter case."""
    lowered = segment.lower()
    if len(lowered) != len(segment):
        # A few characters grow when lowercased (İ), so indices would drift: use the slow way.
        return [match.start() for match in _WWW.finditer(segment)]
    positions = []
    index = lowered.find("www.")
    while index >= 0:
        positions.append(index)
        index = lowered.find("www.", index + 1)
    return positions


def _looks_like_address(target: str) -> bool:
    # `[1](below)` is prose; `[x](evil.net)`, `[x](//evil.net)`, `[x](https://...)` are links.
    target = target.rstrip(_TRAILING)
    return "." in target or ":" in target or target.startswith("/")
