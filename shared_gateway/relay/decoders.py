"""Decoders for the scanner: the encoded runs of a batch of texts, and the text each carries.

``variants`` finds, in the texts of one batch (joined as the scanner joins them), every run
written in an encoding a secret can hide in, and returns what it decodes to, labelled with
the encoding (``"base64 → gzip"``). The scanner scans those decoded texts in turn (so nested
encodings are peeled one layer per round, up to ``MAX_DEPTH`` rounds).

Every decoder is linear in its input and bounded: a run is looked at only after a cheap
C-speed prefilter (a byte mask and ``bytes.find``), each decoded text counts against one
``Budget`` per scan, decompression stops at ``MAX_INFLATE`` bytes of output, and nothing is
decoded more than ``MAX_DEPTH`` layers deep. What cannot be inspected within those bounds is
not let through: the budget records it, and the scanner reports it as a finding.

``WORK`` counts what was done (runs tried, characters decoded, bytes inflated), so tests can
bound the work an input causes instead of timing it.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from functools import cache

from .confusables import COMBINING_MARKS
from .lean_typing import NamedTuple
from .prefix_search import PrefixGroup, prefix_groups, present_groups
from .rules import RULES

__all__ = ["MAX_DEPTH", "TOO_DEEP", "WORK", "Budget", "Variant", "variants"]

# Layers of encoding peeled: percent → base64 → gzip → base64 is three rounds (gzip is
# decompressed in the same round as the base64 around it). Real messages carry one or two;
# deeper than this is an evasion, and is reported rather than passed (see Budget.overflow).
MAX_DEPTH = 4
# Decoded characters per scan, all rounds together. Decoding shrinks text (base64 to 3/4,
# hex to 1/2), so a body at the relay's 256 KiB limit decodes to about 1.5 times itself
# over all rounds at most; only decompression grows it. Sized so that scanning the decoded
# text stays within the relay's 20 ms budget for a body at the size limit.
DECODE_BUDGET = 512 * 1024
# Output of one compressed run: a log file gzipped into a message is a few kilobytes; a
# decompression bomb stops here, after at most this much work.
MAX_INFLATE = 64 * 1024
MIN_BASE64 = 20  # characters; shorter runs are words and ids, and hold no secret worth it
MIN_BASE32 = 24  # characters (15 bytes)
MIN_HEX_BYTES = 16  # pairs of hex digits (a git SHA-1 is 20 and decodes to binary)
MAX_TOKEN_VARIANTS = 64  # escaped tokens of one text decoded one by one, then the whole text
REVERSED_WINDOW = 512  # characters before a reversed keyword read back as its secret
MAX_WRAP_GAP = 4  # whitespace between two lines of one wrapped base64 run ("\r\n", "\n  ")

WORK: Counter[str] = Counter()
_TokenView = tuple[str, list[int], list[tuple[int, int]]]

# Why a run was not read, as the finding that reports it says.
TOO_DEEP = f"more than {MAX_DEPTH} layers of encoding"
_OVER_BUDGET = f"over the {DECODE_BUDGET // 1024} KiB of decoded text inspected per message"
_INFLATES_PAST = f"compressed, inflates past {MAX_INFLATE // 1024} KiB"


class Variant(NamedTuple):
    index: int  # which text of the batch
    start: int  # span of the encoded run in that text
    end: int
    text: str  # what it decodes to
    encoding: str  # how it was encoded, e.g. "base64 → gzip"


class Budget:
    """Decoded characters left for one scan, and the runs that could not be inspected."""

    def __init__(self, limit: int = DECODE_BUDGET) -> None:
        self.left = limit
        self.inflate_left = limit  # decompressed bytes, counted apart: most are not text
        # Decoded texts met so far, and whether each was within the budget: two decoders
        # often lead to one text (percent, then entities, or the other way round), and logs
        # repeat one encoded id many times. Each text is charged and scanned once (its hits
        # kept in `scanned`, by the scanner) and reported at every place it was found, so
        # that the rounds do not multiply the work and no copy goes unredacted.
        self.seen: dict[str, bool] = {}
        self.scanned: dict[str, list[tuple[int, int, int, str, str]]] = {}
        self.overflow: list[tuple[int, int, int, str]] = []  # (index, start, end, why)
        # What each hex run decoded to (None: not text), by the run as written: logs repeat
        # the same commit and request ids line after line, and each is decoded once.
        self.hex_runs: dict[str, tuple[str, str] | None] = {}
        # The same for base64 and base32 runs, by the run with its line breaks removed.
        self.base_n_runs: dict[str, tuple[str, str] | None] = {}

    def take(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


# --- byte masks (one byte per character of the ASCII view, searched at C speed) -----------


def _byte_table(classes: dict[str, str], default: str = " ") -> bytes:
    table = bytearray(default.encode() * 256)
    for letter, members in classes.items():
        for char in members:
            table[ord(char)] = ord(letter)
    return bytes(table)


_HEX_DIGITS = "0123456789abcdefABCDEF"
_BASE32_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_BASE32_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz234567")
# Hex: h a digit, s a separator between pairs, x and \ for 0x41 and \x41, "." ends a run.
_HEX_TABLE = _byte_table({"h": _HEX_DIGITS, "s": " :,-\t", "x": "xX", "\\": "\\"}, ".")
_HEX_NEEDLES = (b"h" * 16, b"hhshhshhshh", b"\\xhh\\xhh", b"xhhshxhh", b"xhhsshxhh")
_HEX_RUN = re.compile(rb"(?:\\x|hx)?hh(?:s{0,2}(?:\\x|hx)?hh){%d,}" % (MIN_HEX_BYTES - 1))
_HEX_NOISE = str.maketrans("", "", " :,-\t")
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
# Control characters; U+FFFD (what undecodable bytes became) is counted apart, with
# str.count: a class holding it costs the compiler a whole Unicode bitmap (0.4 ms at import).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WRAP_GAP = frozenset(" \t\r\n")


def variants(
    joined: str,
    data: bytes,
    texts: list[str],
    starts: list[int],
    tokens: _TokenView,
    depth: int,
    budget: Budget,
) -> list[Variant]:
    """The decoded variants of a batch: `joined` is the texts' ASCII views joined (with
    `starts` the offset of each), `data` the same as bytes, `tokens` its runs of 16+
    base64-alphabet characters (joined by newlines, where each starts there, their spans)."""
    token_spans = tokens[2]
    found = _token_variants(joined, texts, starts, "%", _percent_escapes(), _unpercent, "url")
    if "&" in joined:
        found += _token_variants(joined, texts, starts, "&", _entities(), _unescape, "html")
    found += _base_n_variants(joined, texts, starts, token_spans, budget)
    found += _hex_variants(joined, data, texts, starts, budget)
    if depth == 0:
        found += _reversed_variants(joined, texts, starts, tokens)
        found += _unmarked_variants(joined, texts, starts)
        found += _japanese_name_variants(texts)
    kept = []
    for variant in found:
        within = budget.seen.get(variant.text)
        if within is None:
            within = budget.seen[variant.text] = budget.take(len(variant.text))
            if within:
                WORK["decoded"] += len(variant.text)
        if within:
            kept.append(variant)
        else:
            budget.overflow.append((variant.index, variant.start, variant.end, _OVER_BUDGET))
    return kept


def _japanese_name_variants(texts: list[str]) -> list[Variant]:
    """The stretches after a secret's Japanese name, read with the name in English."""
    if all(text.isascii() for text in texts):
        return []  # the module is not even loaded for messages without such text
    from .japanese_names import japanese_name_windows

    return [
        Variant(index, start, end, read, "Japanese key name")
        for index, start, end, read in japanese_name_windows(texts)
    ]


def _locate(starts: list[int], position: int) -> tuple[int, int]:
    index = bisect_right(starts, position) - 1
    return index, starts[index]


# --- escapes inside whitespace-delimited tokens: percent, HTML entities, combining marks ---


@cache
def _percent_escapes() -> re.Pattern[str]:
    return re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _unpercent(token: str) -> str:
    # As urllib.parse.unquote does: a run of escapes is UTF-8, bad bytes become U+FFFD.
    return _percent_escapes().sub(
        lambda run: bytes.fromhex(run.group().replace("%", "")).decode("utf-8", "replace"), token
    )


@cache
def _entities() -> re.Pattern[str]:
    # Numeric entities, and named ones other than the three Slack itself writes in mrkdwn
    # (&amp; &lt; &gt;), which turn into characters no secret is made of.
    return re.compile(
        r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|(?!(?:amp|lt|gt);)[A-Za-z][A-Za-z0-9]{1,31};)"
    )


def _unescape(token: str) -> str:
    import html  # its entity table costs import time; only texts holding entities need it

    return html.unescape(token)


@cache
def _combining_marks() -> re.Pattern[str]:
    return re.compile(f"[{COMBINING_MARKS}]+")


def _without_marks(token: str) -> str:
    return _combining_marks().sub("", token)


def _token_variants(
    joined: str,
    texts: list[str],
    starts: list[int],
    trigger: str,
    escape: re.Pattern[str],
    decode: Callable[[str], str],
    label: str,
) -> list[Variant]:
    """Each whitespace-delimited token holding an escape, decoded; past MAX_TOKEN_VARIANTS
    tokens in one text, that whole text decoded once instead (a finding then spans it all)."""
    if trigger and trigger not in joined:
        return []
    found: list[Variant] = []
    per_text: Counter[int] = Counter()
    covered = -1
    # Searched again from the end of each token, not iterated over: once a whole text is
    # decoded, the rest of its escapes (thousands) are jumped over at once. No escape holds
    # whitespace or crosses into the next text, so no match is lost by resuming there.
    match = escape.search(joined)
    while match is not None:
        position = match.start()
        if position < covered:
            match = escape.search(joined, covered)
            continue
        index, base = _locate(starts, position)
        WORK["candidates"] += 1
        # Look back no further than the previous token: searching back to the start of a long
        # text for every token would make "%41 %41 ..." cost quadratic time.
        floor = max(base, covered)
        token_start = max(floor, *(joined.rfind(c, floor, position) + 1 for c in " \t\r\n"))
        token_end = _token_end(joined, match.end())
        covered = token_end
        match = escape.search(joined, max(covered, match.end()))
        token = texts[index][token_start - base : token_end - base]
        decoded = decode(token)
        if decoded == token:
            continue
        found.append(Variant(index, token_start - base, token_end - base, decoded, label))
        per_text[index] += 1
        if per_text[index] > MAX_TOKEN_VARIANTS:
            found = [v for v in found if v.index != index]
            text = texts[index]
            found.append(Variant(index, 0, len(text), decode(text), label))
            covered = base + len(text)
    return found


@cache
def _non_space() -> re.Pattern[str]:
    return re.compile(r"\S*")


def _token_end(joined: str, position: int) -> int:
    return _non_space().match(joined, position).end()  # type: ignore[union-attr]


def _unmarked_variants(joined: str, texts: list[str], starts: list[int]) -> list[Variant]:
    """Tokens with combining marks left after NFKC (a mark on an ASCII letter that has no
    precomposed form: A\u0332KIA...), with the marks removed, as TR39's skeleton reads them."""
    found: list[Variant] = []
    for index, text in enumerate(texts):
        if text.isascii() or not may_hold_mark(text) or not _mark_after_ascii(text):
            continue
        local = _token_variants(text, [text], [0], "", _combining_marks(), _without_marks, "")
        found += [Variant(index, v.start, v.end, v.text, "combining marks") for v in local]
    return found


# Blocks of common scripts that hold no combining mark (CJK, kana outside its two voiced
# marks and U+302A-302F, Hangul syllables, fullwidth forms): an ASCII letter or digit
# followed by one of them is ordinary Japanese or Korean text ("1234件"), not a mark.
NO_MARKS = "\u3000-\u3029\u3030-\u3098\u309b-\u30ff\u4e00-\u9fff\uac00-\ud7a3\uff00-\uffef"


@cache
def _ascii_then_other() -> re.Pattern[str]:
    # A narrow first character class keeps the search fast on text that is mostly not ASCII
    # (the class of all combining marks is a slow class to search with); only the rare
    # pairs that pass are looked up in the Unicode database.
    return re.compile(f"[0-9A-Za-z][^\x00-\x7f{NO_MARKS}]")


def may_hold_mark(text: str) -> bool:
    """Whether `text` may hold a combining mark, from its UTF-16 bytes at C speed: exact for
    the blocks Latin, kana and symbol text use, whole-block for the scripts full of marks
    (where the precise search below then runs). Searching text with a regex costs about 15 ns
    a character; this, about 1."""
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) != 2 * len(text):
        return True  # characters beyond the BMP: not worth a table of their own
    by_high, by_low = _mark_tables()
    high = int.from_bytes(units[1::2].translate(by_high), "little")
    return high != 0 and high & int.from_bytes(units[0::2].translate(by_low), "little") != 0


# Blocks (UTF-16 high bytes: Latin and Greek, Cyrillic, phonetic, symbols, kana, variation
# selectors...) whose marks are told apart by their low byte, one bit each; the
# marks of every other block set the last bit, which every low byte carries.
_EXACT_MARK_BLOCKS = (0x03, 0x04, 0x1D, 0x20, 0x2D, 0x30, 0xFE)
_WHOLE_BLOCK = 0x80


@cache
def _mark_tables() -> tuple[bytes, bytes]:
    """`bytes.translate` tables: a UTF-16 high byte to the bits of the block groups with
    marks, a low byte to the bits of the groups in which it is a mark."""
    by_high = bytearray(256)
    by_low = bytearray([_WHOLE_BLOCK]) * 256
    for first, last in _class_ranges(COMBINING_MARKS):
        for code in range(first, min(last, 0xFFFF) + 1):
            block = code >> 8
            if block in _EXACT_MARK_BLOCKS:
                bit = 1 << _EXACT_MARK_BLOCKS.index(block)
                by_high[block] |= bit
                by_low[code & 0xFF] |= bit
            else:
                by_high[block] |= _WHOLE_BLOCK
    return bytes(by_high), bytes(by_low)


def _class_ranges(members: str) -> list[tuple[int, int]]:
    """The (first, last) code points of a regex class body such as ``a-z0\u0300-\u036f``."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(members):
        if index + 2 < len(members) and members[index + 1] == "-":
            ranges.append((ord(members[index]), ord(members[index + 2])))
            index += 3
        else:
            ranges.append((ord(members[index]), ord(members[index])))
            index += 1
    return ranges


def _mark_after_ascii(text: str) -> bool:
    return any(
        unicodedata.combining(pair.group()[1]) or unicodedata.category(pair.group()[1])[0] == "M"
        for pair in _ascii_then_other().finditer(text)
    )


# --- base64, base64url, base32 (and what they carry compressed) ------------------------------


def _base_n_variants(
    joined: str,
    texts: list[str],
    starts: list[int],
    token_spans: list[tuple[int, int]],
    budget: Budget,
) -> list[Variant]:
    """Runs of 20+ base64 characters (wrapped lines joined) and of 24+ base32 characters
    that decode to readable text."""
    found: list[Variant] = []
    for pieces in _runs(joined, token_spans):
        variant = _decode_run(joined, starts, pieces[0][0], pieces[-1][1], len(pieces) > 1, budget)
        if variant is None and len(pieces) > 1:  # unrelated runs side by side: each alone
            decoded = (_decode_run(joined, starts, s, e, False, budget) for s, e in pieces)
            found += [v for v in decoded if v is not None]
        elif variant is not None:
            found.append(variant)
    return found


def _decode_run(
    joined: str, starts: list[int], start: int, end: int, wrapped: bool, budget: Budget
) -> Variant | None:
    WORK["candidates"] += 1
    run = joined[start:end]
    core = run.translate(_NO_GAPS) if wrapped else run
    if core in budget.base_n_runs:
        decoded = budget.base_n_runs[core]
    else:
        decoded = budget.base_n_runs[core] = _decode_core(core, budget)
    if decoded is None:
        return None
    index, base = _locate(starts, start)
    text, label = decoded
    if label.startswith("base64"):
        end = _with_padding(joined, end)
    if label.endswith("(truncated)"):
        budget.overflow.append((index, start - base, end - base, _INFLATES_PAST))
    return Variant(index, start - base, end - base, text, label)


def _decode_core(core: str, budget: Budget) -> tuple[str, str] | None:
    decoded: tuple[str, str] | None = None
    if len(core) >= MIN_BASE32 and (
        _BASE32_UPPER.issuperset(core) or _BASE32_LOWER.issuperset(core)
    ):
        decoded = _decode_base32(core, budget)
    # Cheap rejections: hex digests and UUIDs, single-case words and ids are not base64
    # of text (which always mixes cases).
    if decoded is None and _maybe_base64(core):
        decoded = _decode_base64(core, budget)
    return decoded


_NO_GAPS = str.maketrans("", "", " \t\r\n")


def _runs(joined: str, token_spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The token runs, grouped where runs are separated only by a little whitespace (a
    base64 body wrapped at 64 or 76 characters, with \\n, \\r\\n or spaces)."""
    runs: list[list[tuple[int, int]]] = []
    for start, end in token_spans:
        if runs:
            gap = joined[runs[-1][-1][1] : start]
            if len(gap) <= MAX_WRAP_GAP and _WRAP_GAP.issuperset(gap):
                runs[-1].append((start, end))
                continue
        runs.append([(start, end)])
    return runs


def _maybe_base64(core: str) -> bool:
    return (
        len(core) >= MIN_BASE64
        and not core.islower()
        and not core.isupper()
        and bool(core.strip("0123456789abcdefABCDEF-"))
    )


def _with_padding(joined: str, end: int) -> int:
    limit = min(len(joined), end + 2)
    while end < limit and joined[end] == "=":
        end += 1  # padding belongs to the run
    return end


def _decode_base64(core: str, budget: Budget) -> tuple[str, str] | None:
    """The text a base64 or base64url run carries, trying the four alignments (a run may
    start mid-quantum, glued to a prefix or cut from a longer one); None when no alignment
    gives readable text."""
    core = core.rstrip("=")
    label = "base64"
    if "-" in core or "_" in core:
        if "+" in core or "/" in core:
            return None  # two alphabets mixed: an identifier, not an encoding
        core = core.translate(_URLSAFE_TO_STANDARD)
        label = "base64url"
    for skip in range(4):
        body = core[skip:]
        body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
        try:
            raw = binascii.a2b_base64(body + "=" * (-len(body) % 4))
        except binascii.Error:
            continue
        WORK["decoded_bytes"] += len(raw)
        text = _readable(raw, label, budget)
        if text is not None:
            return text
    return None


def _decode_base32(core: str, budget: Budget) -> tuple[str, str] | None:
    import base64  # rare enough to keep off the import path

    body = core.upper()
    body = body[: len(body) - len(body) % 8 + _BASE32_TAIL[len(body) % 8]]
    try:
        # The standard library decodes base32 in Python, 8 characters at a time: a long run
        # is decoded whole only when its first quanta already read as text.
        if (
            len(body) > _BASE32_PROBE
            and _readable(base64.b32decode(body[:_BASE32_PROBE]), "base32", budget) is None
        ):
            return None
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        return None
    WORK["decoded_bytes"] += len(raw)
    return _readable(raw, "base32", budget)


_BASE32_PROBE = 1024  # characters (a multiple of 8) decoded first from a long base32 run
# Characters of a final base32 quantum that make whole bytes: 2, 4, 5 or 7 (else trimmed).
_BASE32_TAIL = (0, 0, 2, 2, 4, 5, 5, 7)


def _readable(raw: bytes, label: str, budget: Budget) -> tuple[str, str] | None:
    """Decoded bytes as text when mostly printable UTF-8, decompressing gzip and zlib."""
    if _compressed(raw):
        inflated = _inflate(raw, budget)
        if inflated is None:
            return None
        raw, truncated = inflated
        if truncated:  # reported whatever it holds: the rest of it is not read
            return raw.decode("utf-8", "replace"), label + " → gzip (truncated)"
        label += " → gzip"
    text = raw.decode("utf-8", "replace")
    window = min(len(text), _READABLE_WINDOW)
    # Random bytes (most base64-looking runs) fail on their replacement characters alone,
    # counted at C speed; the control characters are counted only for the rest.
    replaced = text.count("\ufffd", 0, window)
    if not text or replaced * 10 > window:
        return None
    if (replaced + len(_CONTROL.findall(text, 0, window))) * 10 > window:
        return None
    return text, label


_READABLE_WINDOW = 4096  # characters of a decoded text judged printable or not


def _compressed(raw: bytes) -> bool:
    if raw[:2] == b"\x1f\x8b":
        return True
    # zlib: deflate method, a window size, and a header checksum that is a multiple of 31.
    return (
        len(raw) > 2
        and raw[0] & 0x0F == 8
        and raw[0] >> 4 <= 7
        and int.from_bytes(raw[:2]) % 31 == 0
    )


def _inflate(raw: bytes, budget: Budget) -> tuple[bytes, bool] | None:
    """At most MAX_INFLATE bytes of a gzip or zlib stream, and whether there was more."""
    import zlib  # only compressed runs need it

    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: either header, detected
    limit = max(0, min(MAX_INFLATE, budget.inflate_left))
    try:
        out = inflater.decompress(raw, limit) if limit else b""
    except zlib.error:
        return None
    budget.inflate_left -= len(out)
    WORK["inflated"] += len(out)
    return out, bool(inflater.unconsumed_tail) or len(out) >= limit


# --- hex ----------------------------------------------------------------------------------


def _hex_variants(
    joined: str, data: bytes, texts: list[str], starts: list[int], budget: Budget
) -> list[Variant]:
    """Runs of 16+ hex pairs, bare (4b4559) or separated (4b:45:59, 4b 45 59, 0x4b, 0x45,
    \\x4b\\x45) that decode to readable text."""
    mask = data.translate(_HEX_TABLE)
    if not any(needle in mask for needle in _HEX_NEEDLES):
        return []
    found: list[Variant] = []
    position = 0
    # Next occurrence of each needle, searched again only once passed: each search resumes
    # where its last one ended, so the needles cost one pass over the mask each.
    upcoming = {needle: mask.find(needle) for needle in _HEX_NEEDLES}
    while True:
        for needle, at in upcoming.items():
            if 0 <= at < position:
                upcoming[needle] = mask.find(needle, position)
        hits = [at for at in upcoming.values() if at >= 0]
        if not hits:
            break
        hit = min(hits)
        start = mask.rfind(b".", 0, hit) + 1
        end = mask.find(b".", hit)
        end = len(mask) if end < 0 else end
        for run in _HEX_RUN.finditer(mask, start, end):
            WORK["candidates"] += 1
            written = joined[run.start() : run.end()]
            if written in budget.hex_runs:
                decoded = budget.hex_runs[written]
            else:
                decoded = budget.hex_runs[written] = _decode_hex_run(written, budget)
            if decoded is not None:
                index, base = _locate(starts, run.start())
                text, label = decoded
                found.append(Variant(index, run.start() - base, run.end() - base, text, label))
        position = end
    return found


def _decode_hex_run(written: str, budget: Budget) -> tuple[str, str] | None:
    digits = _hex_digits(written)
    decoded = _decode_hex(digits, budget)
    if decoded is None and len(written) == len(digits) and len(digits) > 33:
        decoded = _decode_hex(digits[1:], budget)  # a bare run glued to one more digit
    return decoded


def _hex_digits(run: str) -> str:
    return run.replace("\\x", "").replace("0x", "").replace("0X", "").translate(_HEX_NOISE)


def _decode_hex(digits: str, budget: Budget) -> tuple[str, str] | None:
    digits = digits[: len(digits) - len(digits) % 2]
    high = digits[0::2]
    if (high.count("0") + high.count("1")) * 10 > len(high):
        return None  # control characters: a digest or an id, not text (checked before decoding)
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    WORK["decoded_bytes"] += len(raw)
    return _readable(raw, "hex", budget)


# --- reversed text ------------------------------------------------------------------------


@cache
def _reversed_keywords(in_tokens: bool) -> list[PrefixGroup]:
    """The rules' keywords written backwards, one literal-prefix regex per leading character
    (searched in lower case), so each pass skips through text at C speed. In the long runs
    (the token view): every keyword; in the whole text, only the generic key=value rules'
    words (pass, pwd, secret, token, key...), since the other keywords begin tokens. Words of
    three letters and more: "ssap" and "yek" are rare in any text read forwards."""
    return prefix_groups(
        {
            keyword.lower()[::-1]
            for rule in RULES
            for keyword in rule.keywords
            if len(keyword) >= 3
            and (in_tokens or rule.generic)
            and keyword.lower() != keyword.lower()[::-1]
        }
    )


@cache
def _reversed_name_rest() -> re.Pattern[str]:
    return re.compile(r"[a-z0-9_.\-]{0,32}")


def _reversed_variants(
    joined: str, texts: list[str], starts: list[int], tokens: _TokenView
) -> list[Variant]:
    """Text written backwards: where a keyword appears reversed, the REVERSED_WINDOW
    characters before it (where its secret then is), read the right way round. Windows that
    overlap are merged, so this reads each character once at most."""
    token_view, token_view_starts, token_spans = tokens
    lowered = token_view.lower()
    ends = []
    for group in present_groups(_reversed_keywords(True), lowered):
        # A keyword repeated thousands of times sits in few tokens: each match is moved back
        # to the joined text by its token's shift, looked up again only past that token.
        token_limit = shift = -1
        for match in group.pattern.finditer(lowered):
            if match.start() >= token_limit:
                token = bisect_right(token_view_starts, match.start()) - 1
                token_limit = token_view_starts[token] + token_spans[token][1]
                token_limit -= token_spans[token][0]
                shift = token_spans[token][0] - token_view_starts[token]
            ends.append(match.end() + shift)
    lowered = joined.lower()
    # A key name read backwards ends in the words before its keyword ("yek_ipa" is api_key):
    # the window takes them too, up to a name's length.
    name_rest = _reversed_name_rest()
    ends += [
        name_rest.match(lowered, match.end()).end()  # type: ignore[union-attr]
        for group in present_groups(_reversed_keywords(False), lowered)
        for match in group.pattern.finditer(lowered)
    ]
    ends.sort()
    WORK["candidates"] += len(ends)
    windows: list[list[int]] = []  # [index, start, end] in joined coordinates
    next_text = -1  # where the text of the last window ends (the next one starts)
    for end in ends:
        # Within the last window's text and overlapping it: widen it (no lookup needed).
        if end - 1 < next_text and windows[-1][2] >= end - REVERSED_WINDOW:
            windows[-1][2] = max(windows[-1][2], end)
            continue
        index, base = _locate(starts, end - 1)
        next_text = starts[index + 1] if index + 1 < len(starts) else len(joined) + 1
        windows.append([index, max(base, end - REVERSED_WINDOW), end])
    return [
        Variant(index, start - starts[index], end - starts[index], text[::-1], "reversed")
        for index, start, end in windows
        for text in (texts[index][start - starts[index] : end - starts[index]],)
    ]
