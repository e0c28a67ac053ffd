"""The template as a git repository of its own, the way cruft needs it (it clones templates)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

CRUFT = (sys.executable, "-m", "cruft")
CACHES = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ruff_cache")


def git_template(directory: Path) -> Path:
    """cookiecutter.json, hooks/ and the project template, committed in `directory`.

    The template's symbolic links into shared_gateway/ are copied as what they point to.
    """
    directory.mkdir(parents=True)
    shutil.copy(ROOT / "cookiecutter.json", directory)
    for part in ("hooks", "{{cookiecutter.project_slug}}"):
        shutil.copytree(ROOT / part, directory / part, ignore=CACHES)
    identity = ["-c", "user.name=test", "-c", "user.email=test@localhost"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "template"]):
        subprocess.run(["git", *args], cwd=directory, check=True, capture_output=True)
    return directory


def cruft(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CRUFT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
