"""Bare links: the ones Slack makes out of plain text, with no markup around them.

Slack's server finds URLs in message text and links them (its formatting guide shows
``http://foo.com/`` and the schemeless ``www.foo.com`` linked). Which other forms it links is
not documented, so this module reads as links the forms that common auto-linkers (GitHub's
autolink extension, markdown-it's linkify) and Slack's own clients link:

* ``scheme://...`` for the schemes auto-linkers link without markup: http, https and ftp
  (and http(s) with odd slashes such as ``https:/\\host``, which browsers accept). Other
  URIs in prose — ``s3://bucket/key``, ``file:///etc/x``, ``postgres://db/x``, ``arn:aws:...``
  — are not rendered as links, so they are not links out; nothing inside them (nor inside
  an ARN) is read as a bare host either (``s3://logs.example.com/key`` is one S3 URI).
* ``www.`` followed by anything.
* ``host.tld`` where ``tld`` is a real top-level domain (the Public Suffix List, tlds.py),
  returned as ``http://host.tld...`` since that is where a click goes. Many file extensions
  and code attribute names are TLDs too (``app.py``: Paraguay, ``README.md``: Moldova,
  ``user.id``: Indonesia); for those (``tlds.AMBIGUOUS``) the name is a link only when a
  path, query, fragment or port follows it (``evil.py/x``). Residual risk, accepted: a host
  under an ambiguous TLD written with nothing after it (``<data>.evil.zip``) is not checked;
  it can carry data only in its name, and only to a reader who clicks it.
* A name right after ``@`` is the domain of an e-mail address: e-mail addresses are personal
  data, governed by the team's personal-data policy, not by the link policy.

Every scan is linear in the text: candidates are found with regular expressions that cannot
backtrack (possessive quantifiers, a look-behind that refuses to start inside a word), and
the text each link runs over is charged to a budget of a few times the text's length; past
it, `TOO_MANY_LINKS` (which the URL policy refuses) stands for the rest.
"""

from __future__ import annotations

import functools
import re

from .lean_typing import NamedTuple

MAX_URL_LENGTH = 3000
# Links checked in one string: a real message has a few dozen; each costs a check.
MAX_LINKS = 500
_LINK_BUDGET_FACTOR = 4


class _TooManyLinks(str):
    """Stands for the links of a text that nests more of them than is worth reading."""


# Returned in place of links past the budget; `urls.check_url` refuses it.
TOO_MANY_LINKS = _TooManyLinks("")
TOO_MANY_LINKS_MESSAGE = (
    f"text holds too many links to check (more than {MAX_LINKS} in one string, or links "
    "nested in one another) — split the text, or put whitespace between links"
)

# Schemes that auto-linkers link in plain text (GitHub's autolink extension, linkify-it).
LINKED_SCHEMES = frozenset({"http", "https", "ftp"})

_SCHEME_SEPARATOR = re.compile(r":[/\\]")
_WWW = re.compile(r"[Ww][Ww][Ww]\.")
# A link runs to the next whitespace or angle bracket. Deliberately greedy: Slack's auto-linker
# keeps non-ASCII text glued to a URL, and cutting a match short could hide the real host.
_LINK_TAIL = re.compile(r"[^\s<>]*+")
# A dotted name is found from its last label (a dot is a fast anchor; most text has few),
# then read back to its start: letters, digits, '-', '_' and dots in any script (an IDN host,
# or Japanese text glued to one: the whole run is what an auto-linker reads as the host).
_LAST_LABEL = re.compile(r"\.([\w\-]++)(?!\.[\w\-])")
_NAME_RUN = re.compile(r"[\w\-.]*+")
# An ARN names a resource, not a place to click, and its resource part may hold dotted names
# (an S3 bucket ``my.bucket.com``): nothing in it is a bare host. The look-behind comes after
# the literal "arn" so that the search can jump from one "arn" to the next (a pattern opening
# with a look-behind is tried at every position: seven times slower on a 40 KB message).
_ARN = re.compile(r"arn(?<![^\s(\[{\"'`]arn):aws[a-z\-]*+:[^\s<>]*+")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_MAX_SCHEME_LENGTH = 64
# Punctuation that ends a sentence or closes a bracket or a mrkdwn format rather than a URL.
# Leaving it off cannot hide a host: what remains is what a browser reaches, or else the
# original ends in a name no public resolver serves (`example.com)`, `example.com*`).
TRAILING = ".,;:!?'\")]}*_~`。、，．！？」』）】"


class Budget:
    """How much more text the link scans of one string may read (see the module doc)."""

    def __init__(self, text_length: int) -> None:
        self.left = _LINK_BUDGET_FACTOR * text_length + 2 * MAX_URL_LENGTH
        self.links = 0

    def count_link(self) -> None:
        self.links += 1
        if self.links > MAX_LINKS:
            self.left = -1

    def tail_end(self, text: str, start: int) -> int:
        """Where the link whose address starts at `start` ends; charges what it read."""
        end = _LINK_TAIL.match(text, start).end()  # type: ignore[union-attr]
        self.left -= end - start
        return end

    @property
    def spent(self) -> bool:
        return self.left < 0


class _Span(NamedTuple):
    start: int
    end: int
    link: str | None  # None: a URI that is not a link, whose extent only hides bare names


def bare_links(text: str, budget: Budget | None = None) -> list[str]:
    """The bare links in `text`, in text order (see the module doc); substrings of `text`,
    except that a bare host name gets the ``http://`` a click would add."""
    budget = budget or Budget(len(text))
    has_scheme = ":" in text and _SCHEME_SEPARATOR.search(text) is not None
    has_dot = "." in text
    if not (has_scheme or has_dot):
        return []
    spans: list[_Span] = []
    if has_scheme:
        _scheme_spans(text, budget, spans)
    if "arn:" in text:
        spans.extend(_Span(*match.span(), None) for match in _ARN.finditer(text))
    if has_dot and not budget.spent:
        _www_spans(text, budget, spans)
    if has_dot and not budget.spent:
        _host_spans(text, budget, spans)
    if budget.spent:
        return [TOO_MANY_LINKS]
    # Links glued together ("https://a.example/xhttps://evil.net") are all reported, the outer
    # and the inner one: an auto-linker that splits them differently must not hide a host.
    spans.sort()
    found: list[str] = []
    previous = -1
    for span in spans:
        if span.start == previous or span.link is None:
            continue
        previous = span.start
        link = span.link.rstrip(TRAILING)
        if link and link not in ("http://", "https://"):
            found.append(link)
    return found


def _scheme_spans(text: str, budget: Budget, spans: list[_Span]) -> None:
    for match in _SCHEME_SEPARATOR.finditer(text):
        start = _scheme_start(text, match.start())
        if start < 0:
            continue
        scheme = text[start : match.start()].lower()
        odd = not text.startswith("://", match.start())
        if odd and scheme not in ("http", "https"):
            continue  # only http(s) is worth reading with odd slashes, as browsers do
        end = budget.tail_end(text, match.start() + 1)
        # A scheme the auto-linker does not link still claims its extent: its host and path
        # are part of a URI that is not a link, not bare names.
        linked = scheme in LINKED_SCHEMES or _ends_in_linked_scheme(scheme)
        spans.append(_Span(start, end, text[start:end] if linked else None))
        budget.count_link()
        if budget.spent:
            return


def _ends_in_linked_scheme(scheme: str) -> bool:
    # "xhttps://evil.net": a word glued to the scheme; an auto-linker may still see https.
    return scheme.endswith(("http", "https"))


def _www_spans(text: str, budget: Budget, spans: list[_Span]) -> None:
    covered = _Coverage(spans)
    for start in _www_positions(text):
        if covered.hides(start):
            continue  # the host of a scheme://www... link, or inside a URI that is not a link
        end = budget.tail_end(text, start + 4)
        if end > start + 4:
            spans.append(_Span(start, end, text[start:end]))
            budget.count_link()
        if budget.spent:
            return


def _host_spans(text: str, budget: Budget, spans: list[_Span]) -> None:
    covered = _Coverage(spans)
    claimed = -1  # end of the last host link's path: names inside it are part of that link
    known, ambiguous = _tld_sets()
    reversed_text = ""
    for match in _LAST_LABEL.finditer(text):
        # The common cases first, cheaply: a last label that is no TLD, a file name
        # ("app.py", see below), a name inside a link or URI found already.
        tld = match.group(1).lower()
        if tld.isascii() and (
            tld not in known
            or (tld in ambiguous and text[match.end() : match.end() + 1] not in ("/", "?", "#"))
        ):
            continue
        if match.start() < claimed or covered.hides(match.start()):
            continue
        if not reversed_text:
            reversed_text = text[::-1]  # to read names back to their start with one match
        name_end = match.end()
        back = _NAME_RUN.match(reversed_text, len(text) - match.start())
        start = len(text) - back.end()  # type: ignore[union-attr]
        if start == match.start() or text[start - 1 : start] == "@":
            continue  # ".com" alone, or the domain of an e-mail address
        name = text[start:name_end]
        kind = host_kind(name)
        if kind is None:
            continue
        follows = text[name_end : name_end + 1]
        if kind is AMBIGUOUS and follows not in ("/", "?", "#"):
            continue  # "app.py", "README.md," (see below)
        if text[start : start + 4].lower() == "www.":
            continue  # the www. scan has it
        after = text[name_end + 1 : name_end + 2]
        port = follows == ":" and after.isdigit()
        address = (
            follows == "/"
            or port
            or (follows in ("?", "#") and after != "" and not after.isspace())
        )
        if kind is AMBIGUOUS:
            # "app.py:12" is a line number, "app.py?" ends a question, and
            # "setup.py/pyproject.toml" names two files: only a real path makes it an address.
            if not address or port:
                continue
            end = budget.tail_end(text, name_end)
            if follows == "/" and _one_file_name(text[name_end + 1 : end].rstrip(TRAILING)):
                continue
        else:
            end = budget.tail_end(text, name_end) if address else name_end
        spans.append(_Span(start, end, "http://" + text[start:end]))
        claimed = end
        budget.count_link()
        if budget.spent:
            return


def _one_file_name(path: str) -> bool:
    return "." in path[1:] and not any(mark in path for mark in "/?#")


HOST = "host"
AMBIGUOUS = "ambiguous"


def host_kind(name: str) -> str | None:
    """`HOST` when the dotted `name` ends in a real TLD, `AMBIGUOUS` when that TLD is also a
    common file extension or code attribute (tlds.AMBIGUOUS), None when it is no TLD."""
    tld = name.rpartition(".")[2].lower()
    if len(tld) < 2 or tld[0].isdigit():
        return None  # "v1.2.3", "e.g": no TLD is one letter long or starts with a digit
    if not tld.isascii():
        try:
            tld = tld.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    known, ambiguous = _tld_sets()
    if tld not in known:
        return None
    return AMBIGUOUS if tld in ambiguous else HOST


@functools.cache
def _tld_sets() -> tuple[frozenset[str], frozenset[str]]:
    from . import tlds  # the list costs a little to load: only messages with names pay it

    return tlds.TLDS, tlds.AMBIGUOUS


class _Coverage:
    """Answers "is this position inside a span found so far?" for ascending positions."""

    def __init__(self, spans: list[_Span]) -> None:
        self._spans = sorted(spans)
        self._index = 0
        self._reach = -1

    def hides(self, position: int) -> bool:
        while self._index < len(self._spans) and self._spans[self._index].start <= position:
            self._reach = max(self._reach, self._spans[self._index].end)
            self._index += 1
        return position < self._reach


def _scheme_start(text: str, colon: int) -> int:
    """Where the scheme ending at `colon` starts (its first letter), or -1 when there is none."""
    start = colon
    limit = max(0, colon - _MAX_SCHEME_LENGTH)
    while start > limit and text[start - 1] in _SCHEME_CHARS:
        start -= 1
    while start < colon and not text[start].isalpha():
        start += 1  # the run holds ASCII only, so isalpha() means a-z or A-Z
    return start if start < colon else -1


def _www_positions(text: str) -> list[int]:
    """Start indices of `www.` in any letter case."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few characters grow when lowercased (İ), so indices would drift: use the slow way.
        return [match.start() for match in _WWW.finditer(text)]
    positions = []
    index = lowered.find("www.")
    while index >= 0:
        positions.append(index)
        index = lowered.find("www.", index + 1)
    return positions
