"""The message as a reader sees it: secrets split across strings, spaces and mrkdwn markers.

The scanner reads every string of a payload on its own. A reader does not: Slack shows the
text elements of a rich_text section run together, the fields of a section side by side, one
block under the next. A token cut into pieces (``"ghp_AbC1"`` + ``"dEf2..."`` in two rich_text
elements, ``AKIA IOSF ODNN`` with spaces, ``gh*p_*AbC`` with bold markers) passes string by
string and is whole again on screen. This module rebuilds what is shown and scans two views:

* the rendered view: the visible strings in display order (the top-level text, then per block
  section text and fields, context elements, header, markdown text, rich_text elements, and
  attachment pretext/author/title/text/fields/footer), with no separator where Slack renders
  elements inline (the elements of one rich_text section) and a newline everywhere else. Only
  what can hold a match no single string holds is scanned, with every rule: a window around
  each inline joint (the token runs touching it and ``CONTEXT`` characters either side), and
  around a newline joint the token runs on both sides (a base64 run or key body wrapped
  across two blocks; no other rule matches across a newline).
* the compact view: inside token-like runs of the rendered view (chunks of token characters
  separated by short gaps of whitespace and the ``*`` ``~`` and backtick markers, at least two
  chunks holding a digit, an upper-case letter past the first or one of ``+/=_-``, with short
  lower-case words allowed between them; ``_`` italic markers go in pairs), the gaps removed.
  It is checked only with token-shaped rules (``TOKEN_SHAPED``): secret rules anchored on a
  keyword (a fixed prefix or shape), not generic, whose pattern admits no whitespace, so
  that joining pieces can only rebuild such a token. Key=value rules, generic rules and
  personal data are left out: spaces removed from prose and from lists of numbers would make
  them up. A run is compacted at all only when the text, with every gap removed, holds one
  of those rules' keywords (one C-speed pass per leading character; rarely true of ordinary
  messages), and then only from each keyword that starts a word of the message, up to the
  next one or ``_REACH`` characters on.

A finding counts only when it spans what the per-string scan could not see: two strings, a
removed gap, or a string whose key name or context sits in its neighbour. It blocks the
message whatever the team's action (a secret spread over several strings or pieces cannot be
replaced in place), unless the team allows its personal-data class. The rendered windows
are at most the message's visible text; the compact runs at most ``COMPACT_MAX`` characters
and a quarter of that text, in ``MAX_RUNS`` runs (more is refused as ``split-content``, never
passed unread). Both are scanned in one scanner batch, under its decode budget and bounds
like any batch; a message with one string has no windows, and one with no such keyword no
runs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache

from . import scanner
from .lean_typing import TYPE_CHECKING, NamedTuple
from .normalize import normalize_many
from .prefix_search import PrefixGroup, prefix_groups, present_groups
from .reasons import Reason
from .rules import RULES, Rule

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "COMPACT_MAX",
    "CONTEXT",
    "MAX_RUNS",
    "TOKEN_SHAPED",
    "Rendered",
    "render",
    "split_findings",
]

CONTEXT = 64  # characters either side of an inline joint: a key name and its operator
_RUN_CAP = 2048  # a token run followed from a joint at most this far (a JWT, a key body)
_MIN_COMPACT = 16  # shortest compacted run worth a scan (no token rule matches fewer)
# Compacted text handed to the scanner per message: this, and a quarter of the visible text
# more. The most in the benign corpus (25,630 messages) is 3.3 KB, in a 44 KB pip test log;
# a 200 KB base64 blob wrapped over lines needs about 50 KB. Past the bound what is left is
# not read, and the message is refused. It keeps the compact view's worst case bounded.
COMPACT_MAX = 16 * 1024
MAX_RUNS = 256  # and runs, each some Python work (the corpus's most: 26)
_TOO_MANY_GAPS = (
    "more token-like text split by spaces or formatting marks than the relay joins to look "
    f"for split secrets ({COMPACT_MAX // 1024} KiB and a quarter of the text, or {MAX_RUNS}"
    " runs): send it with fewer"
    " such pieces"
)
_INLINE, _BREAK = "", "\n"


def _token_shaped(rule: Rule) -> bool:
    """Anchored on its keywords (a fixed prefix or shape), a secret, specific, and matching
    one unbroken token: no whitespace anywhere in its pattern."""
    source = rule.pattern.pattern
    return (
        rule.category == "secret"
        and not rule.generic
        and bool(rule.keywords)
        # Substring checks, not a regex search per rule: this runs for every rule at import.
        and not any(space in source for space in _SPACES_IN_A_PATTERN)
    )


_SPACES_IN_A_PATTERN = ("\\s", "\\t", "\\n", "\\r", " ")


TOKEN_SHAPED = frozenset(rule.id for rule in RULES if _token_shaped(rule))


_Part = tuple[str, str, bool]  # (path, text, shown inline after the part before it)


class Piece(NamedTuple):
    start: int  # span in the rendered text
    end: int
    path: str  # where the string sits in the payload, as the policy names it


class Rendered(NamedTuple):
    text: str  # the visible strings (normalised) in display order, with their separators
    pieces: list[Piece]
    inline: list[bool]  # per piece after the first: joined to the one before with no separator


def render(payload: dict[str, Any]) -> Rendered:
    """The rendered view of a payload (see the module's docstring)."""
    parts: list[_Part] = []
    _collect(payload, parts)
    pieces: list[Piece] = []
    inline: list[bool] = []
    chunks: list[str] = []
    position = 0
    texts = normalize_many([text for _, text, _ in parts])
    for (path, _, joined), text in zip(parts, texts, strict=True):
        if pieces:
            inline.append(joined)
            separator = _INLINE if joined else _BREAK
            chunks.append(separator)
            position += len(separator)
        chunks.append(text)
        pieces.append(Piece(position, position + len(text), path))
        position += len(text)
    return Rendered("".join(chunks), pieces, inline)


def split_findings(
    payload: dict[str, Any], found: Mapping[str, Sequence[tuple[int, int, str]]] = {}
) -> list[Reason]:
    """Findings only the rendered or the compact view shows, as reasons naming the strings
    they span; [] for almost every message. `found` holds, per path, the (start, end, rule)
    of what the per-string scan reported (spans in the normalised string): a view finding
    that repeats one is left out, and a token it covers is not followed again."""
    view = render(payload)
    if not view.text:
        return []
    texts: list[str] = []
    origins: list[tuple[int, _Run | None]] = []
    for start, end in _windows(view):
        texts.append(view.text[start:end])
        origins.append((start, None))
    budget = _Budget(len(view.text))
    for run in _compact_runs(view.text, budget, _covered(view, found)):
        texts.append(run.compact)
        origins.append((run.start, run))
    reasons: list[Reason] = []
    if budget.exceeded:
        # Pieces the compact view did not join are not let through unread.
        reasons.append(Reason("split-content", "", _TOO_MANY_GAPS))
    if not texts:
        return reasons
    seen: list[tuple[str, int, int]] = []
    for (offset, run), findings in zip(origins, scanner.scan_many(texts), strict=True):
        for finding in findings:
            if run is None:
                span = (offset + finding.start, offset + finding.end)
                first, last = _pieces_spanned(view, *span)
                if first < last:
                    how = f"across {last - first + 1} strings as Slack shows them"
                elif any(
                    rule == finding.rule for *_, rule in found.get(view.pieces[first].path, ())
                ):
                    continue  # the per-string scan reported it
                else:  # its key name or context sits in the string before or after it
                    how = "with the strings around it as Slack shows them"
            else:
                if finding.rule not in TOKEN_SHAPED:
                    continue
                located = _uncompact(_segments(view.text, run), finding.start, finding.end)
                if located is None:
                    continue  # within one chunk: the rendered text holds it as it is
                if finding.start == 0 and _inside_word(view.text, located[0]):
                    continue  # the stretch's own start, not an edge in the message
                span = located
                first, last = _pieces_spanned(view, *span)
                how = "with the spaces and formatting marks between its pieces removed"
            if any(rule == finding.rule and a < span[1] and span[0] < b for rule, a, b in seen):
                continue  # the same secret through another view or variant
            seen.append((finding.rule, *span))
            reasons.append(
                Reason(
                    finding.rule,
                    _span_path(view.pieces[first].path, view.pieces[last].path),
                    f"{finding.description} found {how} ({finding.masked}); split over the "
                    "message it cannot be redacted in place, so the message is refused",
                )
            )
    return reasons


# --- what is shown, in display order ----------------------------------------------------------


def _collect(payload: dict[str, Any], parts: list[_Part]) -> None:
    _add(parts, "text", payload.get("text"))
    _blocks(payload.get("blocks"), "blocks", parts)
    attachments = payload.get("attachments")
    if not isinstance(attachments, list):
        return
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, dict):
            continue
        path = f"attachments[{index}]"
        for key in ("pretext", "author_name", "title", "text"):
            _add(parts, f"{path}.{key}", attachment.get(key))
        for number, field in _dicts(attachment.get("fields")):
            for key in ("title", "value"):
                _add(parts, f"{path}.fields[{number}].{key}", field.get(key))
        _blocks(attachment.get("blocks"), f"{path}.blocks", parts)
        _add(parts, f"{path}.footer", attachment.get("footer"))


def _blocks(blocks: object, path: str, parts: list[_Part]) -> None:
    for index, block in _dicts(blocks):
        here = f"{path}[{index}]"
        kind = block.get("type")
        text = block.get("text")
        if kind == "markdown":
            _add(parts, f"{here}.text", text)
        elif isinstance(text, dict):  # section, header
            _add(parts, f"{here}.text.text", text.get("text"))
        for number, field in _dicts(block.get("fields")):
            _add(parts, f"{here}.fields[{number}].text", field.get("text"))
        if kind == "context":
            for number, element in _dicts(block.get("elements")):
                _add(parts, f"{here}.elements[{number}].text", element.get("text"))
        elif kind == "rich_text":
            for number, element in _dicts(block.get("elements")):
                _rich_text(element, f"{here}.elements[{number}]", parts)


def _rich_text(node: dict[str, Any], path: str, parts: list[_Part]) -> None:
    """A rich_text child: a section, quote or preformatted run is one line of inline elements;
    a list holds one such line per item."""
    if node.get("type") == "rich_text_list":
        for number, item in _dicts(node.get("elements")):
            _rich_text(item, f"{path}.elements[{number}]", parts)
        return
    first = True
    for number, element in _dicts(node.get("elements")):
        kind = element.get("type")
        key = "text" if kind == "text" or "text" in element else "url" if kind == "link" else ""
        if key and _add(parts, f"{path}.elements[{number}].{key}", element.get(key), not first):
            first = False


def _add(parts: list[_Part], path: str, value: object, inline: bool = False) -> bool:
    if isinstance(value, str) and value:
        parts.append((path, value, inline))
        return True
    return False


def _dicts(items: object) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


# --- the rendered view's windows ----------------------------------------------------------------

# One byte per character: t for a token character (base64 alphabets and "."), space otherwise.
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-"


_TOKEN_TABLE = bytes(ord("t") if chr(byte) in _TOKEN_CHARS else 32 for byte in range(256))


def _windows(view: Rendered) -> list[tuple[int, int]]:
    """Merged spans of the rendered text around the joints where a match can cross."""
    if len(view.pieces) < 2:
        return []
    mask = view.text.encode("ascii", "replace").translate(_TOKEN_TABLE)
    spans: list[tuple[int, int]] = []
    for left, right, inline in zip(view.pieces[:-1], view.pieces[1:], view.inline, strict=True):
        run_start = mask.rfind(b" ", max(left.start, left.end - _RUN_CAP), left.end) + 1
        if run_start == 0:
            run_start = max(left.start, left.end - _RUN_CAP)
        run_end = mask.find(b" ", right.start, min(right.end, right.start + _RUN_CAP))
        if run_end < 0:
            run_end = min(right.end, right.start + _RUN_CAP)
        if inline:
            spans.append((max(0, run_start - CONTEXT), min(len(mask), run_end + CONTEXT)))
        elif left.end - left.start <= CONTEXT and _label().search(view.text, left.start, left.end):
            # A label alone in its string, its value in the next (section fields side by
            # side, "*Password:*" then the value): the label and the value's first run.
            spans.append((left.start, run_end))
        elif left.end - run_start >= _MIN_COMPACT and run_end - right.start >= _MIN_COMPACT:
            spans.append((run_start, run_end))
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # in order of position already
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@cache
def _label() -> re.Pattern[str]:
    # A string that ends the way a label does: a colon, then maybe mrkdwn's closing markers.
    return re.compile(r":[*_~`]{0,2}[ \t]*\Z")


def _pieces_spanned(view: Rendered, start: int, end: int) -> tuple[int, int]:
    """Indexes of the first and last piece a span of the rendered text overlaps."""
    starts = [piece.start for piece in view.pieces]
    first = max(0, bisect_right(starts, start) - 1)
    if view.pieces[first].end <= start and first + 1 < len(starts):
        first += 1  # the span starts on a separator
    last = max(first, bisect_left(starts, end) - 1)
    return first, last


def _span_path(first: str, last: str) -> str:
    """``blocks[0].elements[0].elements[1..2]`` for two siblings, ``a .. b`` otherwise."""
    if first == last:
        return first
    common = 0
    while common < min(len(first), len(last)) and first[common] == last[common]:
        common += 1
    head = first[:common]
    opening = head.rfind("[")
    if opening >= 0 and "]" not in head[opening:]:
        tail_a, tail_b = first[opening + 1 :], last[opening + 1 :]
        index_a, _, rest_a = tail_a.partition("]")
        index_b, _, rest_b = tail_b.partition("]")
        if index_a.isdigit() and index_b.isdigit() and rest_a == rest_b:
            return f"{first[: opening + 1]}{index_a}..{index_b}]"
    return f"{first} .. {last}"


# --- the compact view -------------------------------------------------------------------------

# T: a character that makes a chunk token-like (digit, upper case, + / = _ -); l: the other
# token characters (lower case, "."); g: what may split a token for a reader (whitespace and
# the *, ~ and ` markers). Searched as bytes, at C speed; a run starts with a literal T.
_COMPACT_CLASS = {
    char: ord(letter)
    for letter, members in (
        ("T", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-"),
        ("l", "abcdefghijklmnopqrstuvwxyz."),
        ("g", " \t\r\n*~`"),
    )
    for char in members
}
_COMPACT_TABLE = bytes(_COMPACT_CLASS.get(chr(byte), 32) for byte in range(256))
_GAP = b"g{1,6}+"
_CHUNK = b"l*+T[Tl]*+"  # a token-like chunk, read to its end
_WORD = b"l{1,8}+"  # a short lower-case chunk, allowed between token-like ones
# A run starts only where a chunk starts: without the look-behind, a long gapless chunk
# (250 KB of base64) was read to its end again from each of its characters (quadratic).
_COMPACT_RUN = rb"(?<![Tl])l*+T[Tl]*+(?:%s(?:%s%s)?%s)++(?P<trail>%s%s(?![Tl]))?" % (
    _GAP,
    _WORD,
    _GAP,
    _CHUNK,
    _GAP,
    _WORD,
)


@cache
def _compact_run() -> re.Pattern[bytes]:
    return re.compile(_COMPACT_RUN)


_GAP_BYTES = b" \t\r\n*~`"


@cache
def _keyword_finders() -> list[PrefixGroup]:
    """The token-shaped rules' keywords in lower case, one regex per leading character (a
    literal prefix lets the engine skip ahead fast); exact case is the scanner's to check."""
    return prefix_groups(
        keyword.lower() for rule in RULES if rule.id in TOKEN_SHAPED for keyword in rule.keywords
    )


@cache
def _spellings() -> dict[bytes, tuple[str, ...]]:
    """Each keyword as found (lower case) to the keywords it stands for, as written."""
    spellings: dict[bytes, set[str]] = {}
    for rule in RULES:
        if rule.id in TOKEN_SHAPED:
            for keyword in rule.keywords:
                spellings.setdefault(keyword.lower().encode(), set()).add(keyword)
    return {found: tuple(sorted(words)) for found, words in spellings.items()}


@cache
def _leading_word() -> re.Pattern[bytes]:
    # A short lower-case chunk and a gap just before a run: the "gh" of "gh p_AbC...".
    return re.compile(rb"(?<![Tl])l{1,8}g{1,6}\Z")


_Segments = list[tuple[int, int, int]]  # (start in the compact text, start in the view, length)


class _Budget:
    """Characters the compact view may still hand to the scanner for one message."""

    def __init__(self, visible: int) -> None:
        self.left = COMPACT_MAX + visible // 4
        self.runs = MAX_RUNS

    def take(self, size: int) -> bool:
        self.left -= size
        self.runs -= 1
        return self.left >= 0 and self.runs >= 0

    @property
    def exceeded(self) -> bool:
        return self.left < 0 or self.runs < 0


class _Run(NamedTuple):
    start: int  # span in the rendered text
    end: int
    compact: str  # the span with its gaps (and italic markers) removed, or a slice of that
    skip: int = 0  # where that slice starts in the whole compacted span


def _compact_runs(
    text: str, budget: _Budget, covered: Callable[[int], bool] = lambda position: False
) -> Iterator[_Run]:
    """The runs that hold a token-shaped rule's keyword once their gaps are gone, compacted.

    A short lower-case word just before or after a run may be the first or last piece of
    the token (the "gh" of "gh p_AbC..."), or an ordinary word whose letters, glued on,
    would hide the token's own edges: the run is given with and without it.
    """
    data = text.encode("ascii", "replace")
    # First, at C speed, whether any such keyword appears in the text with every gap
    # removed: almost never in ordinary messages, and then nothing else is done.
    glued = data.translate(None, _GAP_BYTES).lower().decode("ascii")
    keywords = {
        keyword.encode()
        for group in present_groups(_keyword_finders(), glued)
        for keyword in group.pattern.findall(glued)
    }
    if not keywords:
        return
    mask = data.translate(_COMPACT_TABLE)
    for run in _compact_run().finditer(mask):
        start, end = run.span()
        piece = data[max(0, start - 16) : end].translate(None, _GAP_BYTES).lower()
        if not any(keyword in piece for keyword in keywords):
            continue
        core_end = run.start("trail") if run.group("trail") else end
        floor = max(0, start - 64)
        while start > floor and mask[start - 1] == _L:  # back to the chunk's first letter
            start -= 1
        word = _leading_word().search(mask, max(0, start - 14), start)
        spans = [(start, core_end)]
        if word is not None:  # only when the word completes a keyword (gh + p_...)
            glued_core = data[start:end].translate(None, _GAP_BYTES).lower()
            with_word = data[word.start() : end].translate(None, _GAP_BYTES).lower()
            if any(k in with_word and k not in glued_core for k in keywords):
                spans.append((word.start(), core_end))
        if core_end < end:
            spans.append((start, end))
        for first, last in spans:
            compact = _compact(data[first:last])
            word_starts = _word_starts(data, mask, first, last)
            starts = {c: v for c, v in word_starts.items() if not covered(v)}
            for skip, piece in _around_keywords(compact, starts, keywords, budget):
                if budget.exceeded or not budget.take(len(piece)):
                    return  # the caller reports what was left unread
                if len(piece) >= _MIN_COMPACT:
                    yield _Run(first, last, piece, skip)
            if budget.exceeded:
                return


_L = ord("l")
# How far past its keyword a token is followed in a long run: every token-shaped format but
# a few (JWTs, some OAuth tokens) is shorter; a longer one split inside a long run is missed.
_REACH = 512


def _around_keywords(
    compact: str, word_starts: Mapping[int, int], keywords: set[bytes], budget: _Budget
) -> Iterator[tuple[int, str]]:
    """The stretches of a compacted run that may hold a split token: one from each keyword
    that starts a word of the message (after a removed gap, or at the run's start), up to
    the next such keyword or `_REACH` past it. A keyword glued inside a word is no token's
    start, as in the per-string scan; starting at the keyword gives the token the edge the
    chunks glued before it would hide ("ERRORghp_..."). A rule that looks back past its
    keyword (the digits before a Telegram bot token's ``:AA``) gets some context."""
    lowered = compact.lower()
    starts: dict[int, int] = {}  # where a keyword starts a word -> where its stretch starts
    for word in (word for keyword in keywords for word in _spellings()[keyword]):
        # Exact case for a keyword written with capitals (AKIA, SK), as the scanner reads it.
        haystack = compact if word != word.lower() else lowered
        back = _MIN_COMPACT if word in _looking_back() else 0
        position = haystack.find(word)
        while position >= 0:
            if position in word_starts or back:
                if len(starts) >= MAX_RUNS:
                    budget.runs = -1  # more keywords than are followed: refused, not skipped
                    return
                starts[position] = max(0, position - back)
            position = haystack.find(word, position + 1)
    ordered = sorted(starts)
    for index, position in enumerate(ordered):
        end = position + _REACH
        if index + 1 < len(ordered):
            end = min(end, ordered[index + 1])
        yield starts[position], compact[starts[position] : end]


def _word_starts(data: bytes, mask: bytes, first: int, last: int) -> dict[int, int]:
    """Where a word of the message starts in the compacted span (its start, and after every
    gap; italic markers, removed too, count as part of their gap): offset there -> position
    in the view."""
    removed = [(gap.start(), gap.end()) for gap in _GAP_RUN.finditer(mask, first, last)]
    if b"_" in data[first:last]:
        for italic in _italic().finditer(data, first, last):
            removed += [(italic.start(), italic.start() + 1), (italic.end() - 1, italic.end())]
        removed.sort()
    starts = {0: first}
    gone = 0
    for start, end in removed:
        gone += end - start
        starts[end - first - gone] = end
    return starts


def _covered(
    view: Rendered, found: Mapping[str, Sequence[tuple[int, int, str]]]
) -> Callable[[int], bool]:
    """Whether a position of the view lies in something the per-string scan found."""
    spans = sorted(
        (piece.start + start, piece.start + end)
        for piece in view.pieces
        for start, end, _ in found.get(piece.path, ())
    )
    if not spans:
        return lambda position: False
    starts = [start for start, _ in spans]
    reach: list[int] = []  # furthest end up to each span
    for _, end in spans:
        reach.append(max(end, reach[-1]) if reach else end)

    def covered(position: int) -> bool:
        index = bisect_right(starts, position) - 1
        return index >= 0 and reach[index] > position

    return covered


_GAP_RUN = re.compile(rb"g+")


@cache
def _looking_back() -> frozenset[str]:
    """Keywords of token-shaped rules that need what comes before them (a look-behind)."""
    return frozenset(
        keyword
        for rule in RULES
        if rule.id in TOKEN_SHAPED and rule.pattern.pattern.startswith("(?<=")
        for keyword in rule.keywords
    )


def _compact(run: bytes) -> str:
    """A run (ASCII: only token and gap characters) without its gaps, at C speed. A ``_``
    after a gap and the ``_`` before a later gap are italic markers and go too; any other
    ``_`` is the token's own (the ``ghp_`` of ``ghp_ AbC``)."""
    if b"_" in run:
        run = _italic().sub(rb"\1", run)
    return run.translate(None, _GAP_BYTES).decode("ascii")


@cache
def _italic() -> re.Pattern[bytes]:
    gap = rb" \t\r\n*~`"
    return re.compile(
        rb"(?<![^%s])_(?=[^%s_])([^_]{1,256}?)(?<=[^%s_])_(?![^%s])" % (gap, gap, gap, gap)
    )


_Segments = list[tuple[int, int, int]]  # (start in the compact text, start in the view, length)


def _segments(text: str, run: _Run) -> _Segments:
    """Where each character of a compact run came from, as stretches of the view (the
    compact text is the run with characters deleted; read only for a run with a finding)."""
    segments: _Segments = []
    source = run.start
    whole = _compact(text[run.start : run.end].encode("ascii"))
    for index, char in enumerate(whole[: run.skip + len(run.compact)]):
        while text[source] != char:
            source += 1
        if index >= run.skip:
            if segments and segments[-1][1] + segments[-1][2] == source:
                start, origin, length = segments[-1]
                segments[-1] = (start, origin, length + 1)
            else:
                segments.append((index - run.skip, source, 1))
        source += 1
    return segments


def _inside_word(text: str, position: int) -> bool:
    return position > 0 and text[position - 1] in _WORD_CHARS


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _uncompact(segments: _Segments, start: int, end: int) -> tuple[int, int] | None:
    """The span in the view of a span of the compact text, if it crosses a removed gap."""
    starts = [segment[0] for segment in segments]
    first = bisect_right(starts, start) - 1
    last = bisect_right(starts, max(start, end - 1)) - 1
    if first == last:
        return None
    return (
        segments[first][1] + start - segments[first][0],
        segments[last][1] + end - segments[last][0],
    )
