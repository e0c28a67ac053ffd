"""Text normalisation for the scanner: one canonical form, so look-alike spellings of a secret
(full-width letters, ligatures, mathematical letters, zero-width characters inside a key) are
scanned as the plain ASCII they display as.

``normalize`` is NFKC followed by removal of every format (Cf) character: zero-width space,
joiners, word joiner, byte order mark, soft hyphen, bidirectional controls, tag characters.

It runs on every string of every message, so the common cases are made cheap: ASCII text is
returned untouched, already-normalised text costs one quick check, and NFKC itself (slow, tens
of nanoseconds a character) is applied only to the stretches of text that can change under it.
"""

from __future__ import annotations

import re
import unicodedata

# Format (Cf) characters, Unicode 15. Written out: deriving them from `unicodedata` at import
# would walk every code point and cost tens of milliseconds.
_FORMAT = re.compile(
    "["
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "]+"
)

# Characters NFKC leaves alone and that never join the character before them (a starter that
# is no second half of any composition): ASCII, kana, CJK ideographs, Hangul syllables.
# NFKC of a text is NFKC of its pieces when it is cut just before such a character, so only
# the runs outside this set (with the one character before each run, which a combining mark
# may compose with) need the slow algorithm.
_NFKC_STABLE = (
    "\x00-\x7f\u3001-\u3029\u3030-\u3035\u3037\u303b-\u303f\u3041-\u3096\u309d\u309e"
    "\u30a0-\u30fe\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
)
_NFKC_UNSTABLE_RUN = re.compile(f"[^{_NFKC_STABLE}]+")


def normalize(text: str) -> str:
    """NFKC, then every format (Cf) character removed. Idempotent."""
    if text.isascii():  # already NFKC, and no Cf character is ASCII
        return text
    if not unicodedata.is_normalized("NFKC", text):
        text = _nfkc(text)
    if _printable(text):  # no Cf character (they are all unprintable): nothing to remove
        return text
    visible = _FORMAT.sub("", text)
    if visible is not text and not unicodedata.is_normalized("NFKC", visible):
        # A removed character kept a letter and its combining mark apart: compose them.
        visible = _FORMAT.sub("", unicodedata.normalize("NFKC", visible))
    return visible


def _nfkc(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for run in _NFKC_UNSTABLE_RUN.finditer(text):
        start = max(position, run.start() - 1)
        pieces.append(text[position:start])
        pieces.append(unicodedata.normalize("NFKC", text[start : run.end()]))
        position = run.end()
    pieces.append(text[position:])
    return "".join(pieces)


def _printable(text: str) -> bool:
    # Line breaks and tabs are unprintable too but are no Cf characters: look past them.
    for control in "\n\r\t":
        if control in text:
            text = text.replace(control, " ")
    return text.isprintable()
