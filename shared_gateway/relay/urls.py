"""URL policy: which links a team may put into a Slack message.

A URL that Slack fetches (images, icons, video thumbnails) or that a reader clicks (buttons,
titles, mrkdwn links) can carry data to whoever runs its host, so every URL in a message must
point to one of the team's allowed domains (``link_domains`` in the registry) or a subdomain.

Pure functions, standard library only. The authority section is validated here by hand instead
of trusting ``urllib.parse``, which is lax and disagrees with browsers on tricky inputs such as
``https://example.com\\@evil.net``.

Decisions worth knowing:

* Only ``http`` and ``https``. A schemeless ``www.`` link is read as ``http://www...``, the way
  Slack auto-links it; every other schemeless string (``//evil.net``, ``evil.net/x``) is refused
  here. Links found in text come with the scheme a click adds (`urls_in_text`), so a bare
  ``example.com/x`` or a Markdown ``//example.com/x`` is checked as the host it reaches.
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

from .lean_typing import TYPE_CHECKING
from .links_bare import MAX_URL_LENGTH, TOO_MANY_LINKS, TOO_MANY_LINKS_MESSAGE, bare_links
from .links_mrkdwn import mrkdwn_links
from .reasons import mask

if TYPE_CHECKING:
    from collections.abc import Sequence

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
            return TOO_MANY_LINKS_MESSAGE
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
# Each format Slack renders has its own module: links_mrkdwn (``<url|label>`` and bare links),
# links_markdown (every CommonMark link form, for ``markdown`` blocks) and links_bare (what
# Slack links in plain text). Scanning is driven by cheap anchors found with substring
# searches, and every scan is linear in the text's length.

MRKDWN = "mrkdwn"
MARKDOWN = "markdown"
PLAIN_TEXT = "plain_text"
# Block Kit objects whose "text" Slack shows without parsing `<...>`: plain_text text objects
# and the text elements of rich_text blocks. Bare links in them are still checked.
_PLAIN_TEXT_TYPES = frozenset({"plain_text", "text"})


def text_format(container: object, slot: object) -> str:
    """How Slack reads the string at `container[slot]`: `MARKDOWN` for the text of a
    ``markdown`` block, `PLAIN_TEXT` for the text of a ``plain_text`` object or a rich_text
    ``text`` element, and `MRKDWN` for everything else (the top-level text, mrkdwn objects,
    attachments, and any string whose format is not known: mrkdwn finds the most links)."""
    if slot == "text" and isinstance(container, dict):
        kind = container.get("type")
        if kind == "markdown":
            return MARKDOWN
        if kind in _PLAIN_TEXT_TYPES:
            return PLAIN_TEXT
    return MRKDWN


def urls_in_text(text: str, text_format: str = MRKDWN) -> list[str]:
    """Every link a reader could click in `text` as Slack renders it in `text_format`, each
    once, in the order found; `check_url` decides each one.

    Links are returned as written, except that a bare host name gets the ``http://`` and a
    scheme-relative Markdown destination the ``https:`` a click adds, and Markdown
    destinations are decoded (escapes, character references) as a renderer decodes them.
    Past a budget of a few times the text's length, `TOO_MANY_LINKS` stands for the rest.
    """
    if text_format == MARKDOWN:
        from .links_markdown import markdown_links  # markdown blocks are rare: load on use

        found = markdown_links(text)
    elif text_format == PLAIN_TEXT:
        found = bare_links(text)
    else:
        found = mrkdwn_links(text)
    return list(dict.fromkeys(found)) if len(found) > 1 else found
