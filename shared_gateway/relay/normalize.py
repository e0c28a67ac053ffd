"""Text normalisation for the scanner: one canonical form, so look-alike spellings of a secret
(full-width letters, ligatures, mathematical letters, zero-width characters inside a key) are
scanned as the plain ASCII they display as.

``normalize`` is NFKC followed by removal of every format (Cf) character: zero-width space,
joiners, word joiner, byte order mark, soft hyphen, bidirectional controls, tag characters;
and of the other invisible (default-ignorable) characters: variation selectors, the combining
grapheme joiner, Hangul fillers.

It runs on every string of every message, so the common cases are made cheap: ASCII text is
returned untouched, already-normalised text costs one quick check, and NFKC itself (slow, tens
of nanoseconds a character) is applied only to the stretches of text that can change under it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Format (Cf) characters, Unicode 15. Written out: deriving them from `unicodedata` at import
# would walk every code point and cost tens of milliseconds.
_FORMAT_CLASS = (
    "["
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    # Not Cf, but just as invisible (Unicode's default-ignorable code points): combining
    # grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian and other variation
    # selectors. Left in, one of them splits a key while the reader still sees it whole.
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef"
    "]+"
)


@cache
def _format_regex() -> re.Pattern[str]:
    # Compiled on first use: most texts never need it, and import time counts on cold starts.
    return re.compile(_FORMAT_CLASS)


# Characters NFKC leaves alone and that never join the character before them (a starter that
# is no second half of any composition): ASCII, kana, CJK ideographs, Hangul syllables.
# NFKC of a text is NFKC of its pieces when it is cut just before such a character, so only
# the runs outside this set (with the one character before each run, which a combining mark
# may compose with) need the slow algorithm.
_NFKC_STABLE = (
    "\x00-\x7f\u3001-\u3029\u3030-\u3035\u3037\u303b-\u303f\u3041-\u3096\u309d\u309e"
    "\u30a0-\u30fe\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
)


@cache
def _nfkc_unstable_run() -> re.Pattern[str]:
    return re.compile(f"[^{_NFKC_STABLE}]+")


# Tables over a character's UTF-16 bytes. "u" below: the 256-character blocks outside
# ASCII/Latin-1, kana, CJK ideographs and Hangul syllables, which may hold a character NFKC
# changes.
# A character's block (high byte) and position in it (low byte) each map to bit flags, one bit
# per group of Cf characters; a character is a candidate when both maps share a bit.
_FORMAT_BY_HIGH = bytes(
    {0x20: 1, 0xFE: 2, 0xFF: 4, 0x06: 8, 0x07: 8, 0x08: 8, 0x18: 8}.get(b, 0)
    | (16 if b in (0x03, 0x11, 0x17, 0x31) else 0)
    for b in range(256)
)
_FORMAT_BY_LOW = bytes(
    8
    | (1 if 0x0B <= b <= 0x0F or 0x2A <= b <= 0x2E or 0x60 <= b <= 0x64 or 0x66 <= b <= 0x6F else 0)
    | (2 if b == 0xFF or b <= 0x0F else 0)
    | (4 if 0xF9 <= b <= 0xFB or b == 0xA0 else 0)
    | (16 if b in (0x4F, 0x5F, 0x60, 0xB4, 0xB5, 0x64) else 0)
    for b in range(256)
)
_CHANGEABLE_RUN = re.compile(b"uu*")  # a literal first byte: the engine skips ahead fast
_CHANGEABLE_BLOCKS = bytes(
    32 if b == 0x00 or b == 0x30 or 0x34 <= b <= 0x9F or 0xAC <= b <= 0xD7 else ord("u")
    for b in range(256)
)


def normalize(text: str) -> str:
    """NFKC, then every format (Cf) character removed. Idempotent."""
    if text.isascii():  # already NFKC, and no Cf character is ASCII
        return text
    # Ideographic and no-break spaces are common in Japanese and pasted text, and NFKC maps
    # them to a plain space: a C-speed replace keeps them off the slow path.
    for space in "\u3000\u00a0":
        if space in text:
            text = text.replace(space, " ")
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) != 2 * len(text):  # characters beyond the BMP (emoji): the general path
        return _without_format(_nfkc_exact(text))
    # One byte per character, its UTF-16 high byte, says which 256-character block it is in;
    # bytes.translate and bytes.find walk that at C speed, where a regex over text would not.
    high = units[1::2]
    may_hold_format = "\u00ad" in text or _format_candidates(high, units[0::2])
    if not unicodedata.is_normalized("NFKC", text):
        normalised = _nfkc_spans(text, _runs(high.translate(_CHANGEABLE_BLOCKS)))
        if not unicodedata.is_normalized("NFKC", normalised):
            # A rare character the block mask treats as stable (Latin-1 compatibility forms,
            # kana voicing marks): the whole text the slow way.
            normalised = unicodedata.normalize("NFKC", text)
        text = normalised
    # NFKC neither makes nor removes Cf characters: the check on the input holds.
    return _without_format(text) if may_hold_format else text


def _format_candidates(high: bytes, low: bytes) -> bool:
    """Whether a BMP text (as UTF-16 high and low bytes) may hold a Cf character other than
    U+00AD: exact for the blocks Japanese and English text use, whole-block for a few others.
    """
    by_high = int.from_bytes(high.translate(_FORMAT_BY_HIGH), "little")
    return by_high != 0 and by_high & int.from_bytes(low.translate(_FORMAT_BY_LOW), "little") != 0


def _nfkc_exact(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    spans = [run.span() for run in _nfkc_unstable_run().finditer(text)]
    normalised = _nfkc_spans(text, spans)
    if not unicodedata.is_normalized("NFKC", normalised):
        normalised = unicodedata.normalize("NFKC", text)
    return normalised


def _without_format(text: str) -> str:
    visible = _format_regex().sub("", text)
    if visible is not text and not unicodedata.is_normalized("NFKC", visible):
        # A removed character kept a letter and its combining mark apart: compose them.
        visible = _format_regex().sub("", unicodedata.normalize("NFKC", visible))
    return visible


def normalize_many(texts: list[str]) -> list[str]:
    """`normalize` of each text; the non-ASCII ones are normalised together in one pass."""
    foreign = [index for index, text in enumerate(texts) if not text.isascii()]
    if len(foreign) < 2:
        return [normalize(text) for text in texts]
    batch = _BATCH_SEPARATOR.join([texts[index] for index in foreign])
    parts = normalize(batch).split(_BATCH_SEPARATOR)
    if len(parts) != len(foreign):  # a text held the separator itself
        return [normalize(text) for text in texts]
    result = list(texts)
    for index, part in zip(foreign, parts, strict=True):
        result[index] = part
    return result


# NFKC and Cf removal leave it intact and never join anything across it.
_BATCH_SEPARATOR = "\n\x00\n"


def _runs(mask: bytes) -> list[tuple[int, int]]:
    return [run.span() for run in _CHANGEABLE_RUN.finditer(mask)]


def _nfkc_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with NFKC applied to each span, through a cache: the same few full-width
    characters (（）：１２...) recur in every Japanese message, and NFKC costs over 100 ns a
    character. A span starting with a mark that may compose with the character before it
    takes that character along; the caller checks the result and falls back when a rarer
    kind of composition slipped through.
    """
    pieces: list[str] = []
    position = 0
    cache = _SEGMENT_CACHE
    for start, end in spans:
        if start > position and _may_compose_backwards(text[start]):
            start -= 1
        segment = text[start:end]
        replacement = cache.get(segment)
        if replacement is None:
            if len(cache) >= _SEGMENT_CACHE_SIZE:
                cache.clear()
            replacement = cache[segment] = unicodedata.normalize("NFKC", segment)
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


_SEGMENT_CACHE: dict[str, str] = {}
_SEGMENT_CACHE_SIZE = 4096


def _may_compose_backwards(char: str) -> bool:
    # Combining marks, half-width kana voicing marks, Hangul vowel and final jamo.
    return (
        unicodedata.combining(char) != 0
        or char in "\uff9e\uff9f"
        or "\u1160" <= char <= "\u11ff"
        or "\ud7b0" <= char <= "\ud7ff"
    )
