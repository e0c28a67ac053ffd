"""Writes shared_gateway/relay/confusables.py: the characters that look like one ASCII character.

    .venv/bin/python scripts/generate_confusables.py [--check]

Sources: the Unicode TR39 confusables data as shipped by the pinned `confusable-homoglyphs`
package (pyproject.toml's dev list), and this Python's `unicodedata` for decimal digits and
letters with diacritics. The relay reads the generated module only (standard library only at
run time). `--check` exits 1 when the committed module differs from what would be generated.

What is kept, and why:

* single characters whose confusable is one printable ASCII character (Cyrillic `а` → `a`,
  Greek `Ο` → `O`): the scanner's ASCII view maps a character to a character, so spans
  found in the view are spans in the text;
* every other Unicode decimal digit (Arabic-Indic `٣` → `3`, Devanagari, Thai, ...);
* letters that are an ASCII letter plus combining marks (`Á` → `A`), as TR39's skeleton
  (which starts from NFD) reads them;
* not: characters NFKC already maps (the scanner sees text after NFKC), and CJK, kana,
  Hangul and full-width forms, whose few ASCII look-alikes (`ノ` → `/`, `〇` → `O`) are
  ordinary Japanese and Korean text, not evasions;
* the combining marks themselves, as a regex class, so that a mark left after an ASCII
  letter (no precomposed form exists) can be dropped from a decoded view.

TR39 maps several ASCII characters to one prototype (`I`, `1` and `|` all become `l`). The
scanner needs the character a rule expects, so a capital letter whose prototype is `l`
becomes `I`.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from importlib import metadata, resources
from pathlib import Path

PACKAGE = "confusable-homoglyphs"
TARGET = Path(__file__).resolve().parents[1] / "shared_gateway" / "relay" / "confusables.py"

# Scripts whose look-alikes are ordinary text (see the module docstring).
_EXCLUDED_BLOCKS = (
    (0x2E80, 0xA4CF),  # CJK radicals, kana, bopomofo, CJK ideographs, Yi
    (0xAC00, 0xD7FF),  # Hangul
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms (NFKC maps them)
    (0x20000, 0x3FFFF),  # CJK extensions
)


def _excluded(char: str) -> bool:
    code = ord(char)
    if char.isascii() or any(low <= code <= high for low, high in _EXCLUDED_BLOCKS):
        return True
    # The scanner only ever sees NFKC text: a character NFKC changes never reaches it.
    return unicodedata.normalize("NFKC", char) != char


def _printable_ascii(value: str) -> bool:
    return len(value) == 1 and "!" <= value <= "~"


def confusable_pairs() -> dict[str, str]:
    """Character → the ASCII character it looks like."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    pairs: dict[str, str] = {}
    for source, entries in data.items():
        if len(source) != 1 or _excluded(source):
            continue
        targets = sorted({e["c"] for e in entries if _printable_ascii(e["c"])})
        if not targets:
            continue
        target = targets[0]
        if target == "l" and unicodedata.category(source) == "Lu":
            target = "I"  # a capital I-shape: the letter a rule (AKIA...) expects
        pairs[source] = target
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        if _excluded(char):
            continue
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            pairs[char] = str(digit)
            continue
        decomposed = unicodedata.normalize("NFD", char)
        if (
            len(decomposed) > 1
            and decomposed[0].isascii()
            and decomposed[0].isalpha()
            and all(unicodedata.combining(mark) for mark in decomposed[1:])
        ):
            pairs.setdefault(char, decomposed[0])
    return dict(sorted(pairs.items()))


def combining_ranges() -> list[tuple[int, int]]:
    """Code point ranges of the combining marks (categories Mn, Mc, Me)."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in ("Mn", "Mc", "Me"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


def _escaped(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _chunks(pieces: list[str], width: int = 88) -> str:
    """String-literal lines of at most `width` characters, never cutting an escape apart."""
    lines: list[str] = [""]
    for piece in pieces:
        if len(lines[-1]) + len(piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(f'    "{line}"' for line in lines)


def render() -> str:
    pairs = confusable_pairs()
    sources = [_escaped(ord(c)) for c in pairs]
    targets = [{"\\": "\\\\", '"': '\\"'}.get(c, c) for c in pairs.values()]
    marks = [
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in combining_ranges()
    ]
    version = metadata.version(PACKAGE)
    return f'''"""Characters that look like one ASCII character, for the scanner's ASCII view.

Generated by scripts/generate_confusables.py from {PACKAGE} {version} (Unicode TR39
confusables) and Unicode {unicodedata.unidata_version} (decimal digits, letters with
diacritics, combining marks). Do not edit: run the script.
"""

UNICODE_VERSION = "{unicodedata.unidata_version}"

# SOURCES[i] looks like TARGETS[i]; both {len(pairs)} characters long (str.maketrans input).
SOURCES = (
{_chunks(sources, 90)}
)
TARGETS = (
{_chunks(targets)}
)

# A regex character class of the combining marks (Mn, Mc, Me).
COMBINING_MARKS = (
{_chunks(marks, 90)}
)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the module is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if TARGET.read_text("utf-8") != text:
            print(f"{TARGET} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, "utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
