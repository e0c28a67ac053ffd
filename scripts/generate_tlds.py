"""Writes shared_gateway/relay/tlds.py: the top-level domains of the Public Suffix List.

The relay reads a bare ``name.tld`` in a message as a link only when ``tld`` is a real
top-level domain, so ``app.py``-style file names are told apart from host names with a real
list rather than a guess. The list comes from the PyPI package ``publicsuffixlist`` (pinned in
pyproject.toml's dev list), which ships the Public Suffix List's data file; the relay itself
stays standard-library only and imports the generated module.

    .venv/bin/python scripts/generate_tlds.py          # rewrite the module
    .venv/bin/python scripts/generate_tlds.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from importlib import metadata, resources
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "shared_gateway" / "relay" / "tlds.py"

# File extensions people write in messages (source, config, documents, archives, media,
# logs) that happen to be top-level domains too: ``.py`` is Paraguay, ``.md`` Moldova, ``.sh``
# Saint Helena, ``.rs`` Serbia, ``.zip`` and ``.mov`` are gTLDs. Only the ones that ARE in the
# list end up in the module; the rest are listed so the choice is visible and reviewable.
_FILE_EXTENSIONS = """
    7z apk app asp aspx avi bak bat bin bmp bz2 c cc cfg class cmd conf cpp cs css csv
    dart db deb dll dmg doc docx ear env exe flac gif go gradle gz h hpp htm html ico
    ics img in ini ipynb iso jar java jpeg jpg js json jsx key kt kts lock log lua m4a md
    mk mkv mov mp3 mp4 msi mjs nix o ogg orig out patch pdf php pl plist pm png ppt pptx
    properties proto ps ps1 psd py pyc pyi r rar rb rpm rs rst run sass scala scss sh so
    sql sqlite srt svg swift tar tex tf tfvars tgz tmp toml ts tsv tsx ttf txt vue war wav
    webm webp whl woff xls xlsx xml yaml yml zip zsh
"""
FILE_EXTENSIONS = _FILE_EXTENSIONS.split()

# Attribute names that follow an object name in code, logs and stack traces
# (``user.id``, ``self.app``, ``request.host``, ``event.link``) and are gTLDs as well.
_CODE_ATTRIBUTES = """
    id name app host info link page data date day mobile phone email new one top zone
    type mode cloud site store map win
"""
CODE_ATTRIBUTES = _CODE_ATTRIBUTES.split()


def public_suffix_list() -> str:
    return (
        resources.files("publicsuffixlist")
        .joinpath("public_suffix_list.dat")
        .read_text(encoding="utf-8")
    )


def top_level_domains(psl: str) -> set[str]:
    """The last label of every rule in the list's ICANN section, in IDNA (xn--) form.

    The private section is left out on purpose: its rules all end in an ICANN TLD already.
    """
    section = psl.split("===BEGIN ICANN DOMAINS===", 1)[1].split("===END ICANN DOMAINS===", 1)[0]
    found: set[str] = set()
    for line in section.splitlines():
        rule = line.strip()
        if not rule or rule.startswith("//"):
            continue
        label = rule.lstrip("!*.").rsplit(".", 1)[-1].lower()
        found.add(label if label.isascii() else label.encode("idna").decode("ascii"))
    return found


def psl_version(psl: str) -> str:
    for line in psl.splitlines()[:20]:
        if line.startswith("// VERSION:"):
            return line.removeprefix("// VERSION:").strip()
    return "unknown"


def render(psl: str) -> str:
    tlds = top_level_domains(psl)
    if len(tlds) < 1000 or "com" not in tlds:
        raise SystemExit(f"the Public Suffix List looks wrong: {len(tlds)} TLDs")
    ambiguous = sorted(tlds & {*FILE_EXTENSIONS, *CODE_ATTRIBUTES})
    package = metadata.version("publicsuffixlist")

    def wrapped(words: list[str]) -> str:
        return textwrap.fill(
            " ".join(words),
            width=92,
            initial_indent="    ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,  # "xn--p1ai" is one word
        )

    return f'''"""Top-level domains, from the Public Suffix List. GENERATED: do not edit.

Written by scripts/generate_tlds.py from publicsuffixlist {package} (list version
{psl_version(psl)}): the last label of every ICANN rule, in IDNA (xn--) form.

AMBIGUOUS are the TLDs that are also common file extensions or attribute names in code
(``app.py``, ``README.md``, ``user.id``): a bare name ending in one is read as a link only when
a path follows it (see links_bare.py).
"""

_TLDS = """
{wrapped(sorted(tlds))}
"""
TLDS = frozenset(_TLDS.split())

_AMBIGUOUS = """
{wrapped(ambiguous)}
"""
AMBIGUOUS = frozenset(_AMBIGUOUS.split())
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the module is stale")
    args = parser.parse_args(argv)
    text = render(public_suffix_list())
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date: run scripts/generate_tlds.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
