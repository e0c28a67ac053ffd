"""The slackgate relay, carried by this repository for make local, make local-relay and tests.

``relay/`` is the relay that runs in AWS Lambda in front of Slack (its identity, channel and
content policy, exactly), and ``local/`` the platform's local stand-ins around it: API
Gateway's SigV4 check, a Slack incoming webhook, and this team's local loop. Both are copies
of the slackgate template's ``shared_gateway/relay`` and ``shared_gateway/local``, made when
this repository was generated, from the same template version (the commit is in
``.cruft.json``); ``cruft update`` replaces them with the new version's, like every other
generated file. Nothing here is deployed: the function's code is ``src/`` alone.

Do not edit these files: what passes locally must be what passes in AWS. ``manifest.json``
holds the SHA-256 of every file as generated, and ``tests/test_slackgate_local.py`` fails
when a file differs, is missing or was added.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPIED = ("relay", "local")  # the directories copied from the template
MANIFEST = "manifest.json"
SKIPPED = ("__pycache__",)  # made by Python, not copied


def file_hashes(root: Path = HERE) -> dict[str, str]:
    """SHA-256 of every copied file, by its path under `root` (with forward slashes)."""
    hashes = {}
    for directory in COPIED:
        for path in sorted((root / directory).rglob("*")):
            if path.is_file() and not set(SKIPPED) & set(path.relative_to(root).parts):
                hashes[path.relative_to(root).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return hashes


def write_manifest(root: Path = HERE) -> Path:
    """Records the copy as it is now (the template's post-generation hook calls this)."""
    manifest = root / MANIFEST
    document = {
        "about": "SHA-256 of the slackgate relay files copied into this repository; see "
        "__init__.py. Generated: do not edit.",
        "files": file_hashes(root),
    }
    manifest.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def changes(root: Path = HERE) -> list[str]:
    """How the copy differs from its manifest, one line per file; [] when it is unmodified."""
    try:
        recorded: dict[str, str] = json.loads((root / MANIFEST).read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError) as error:
        return [f"{MANIFEST}: unreadable ({error})"]
    found = file_hashes(root)
    return [
        f"{path}: {what}"
        for path, what in sorted(
            [(p, "changed") for p in recorded if p in found and found[p] != recorded[p]]
            + [(p, "missing") for p in recorded if p not in found]
            + [(p, "added (not in the manifest)") for p in found if p not in recorded]
        )
    ]
