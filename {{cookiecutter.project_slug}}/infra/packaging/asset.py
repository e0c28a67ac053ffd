"""The function's asset: the code under src/ and the installed dependencies, in one directory.

`build_asset` assembles it under `.slackgate/build/asset/<key>/`, the key being a hash of
the dependencies' key and of every file under src/. An unchanged repository reuses the
directory; the CDK is given the same key as the asset's hash, so it neither fingerprints
the directory again nor copies it into cdk.out when that copy is already there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .dependencies import (
    BUILD_DIR,
    PackagingError,
    Target,
    build_in_place,
    declared_requirements,
    install,
)

# Written into every asset built here: what it holds, and how `prune_stale_assets` tells
# this function's older copies in cdk.out from the assets of other constructs.
MARKER = "slackgate-asset.json"
# Lambda's quota: 250 MB unzipped, function and layers together, where MB means 1024 KB.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
WARNING_SIZE = 200 * 1024 * 1024
EXCLUDED_DIRECTORIES = {"__pycache__"}
EXCLUDED_SUFFIXES = (".pyc", ".egg-info")


@dataclass(frozen=True)
class Asset:
    path: Path
    key: str
    size: int  # bytes, unzipped
    target: Target
    bundled: dict[str, str] = field(default_factory=dict)  # name -> version
    removed: tuple[str, ...] = ()  # left to the Lambda runtime


def build_asset(source_dir: Path, python_version: str, architecture: str = "arm64") -> Asset:
    """src/ plus `[project] dependencies` of the pyproject.toml beside it, for Lambda."""
    repo_root = source_dir.parent
    target = Target(python_version, architecture)
    requirements = declared_requirements(repo_root / "pyproject.toml")
    dependencies = install(repo_root, requirements, target)
    sources = sorted(source_files(source_dir))
    key = asset_key(dependencies.key, source_dir, sources)
    assets = repo_root / BUILD_DIR / "asset"
    staged = assets / key[:16]
    if not (staged / MARKER).is_file():
        marker = {
            "key": key,
            "target": target.describe(),
            "bundled": dependencies.bundled,
            "removed": list(dependencies.removed),
        }
        _stage(staged, source_dir, sources, dependencies.site, marker)
    for other in assets.iterdir():
        if other != staged and not other.name.startswith(".building-"):
            shutil.rmtree(other, ignore_errors=True)
    asset = Asset(
        path=staged,
        key=key,
        size=tree_size(staged),
        target=target,
        bundled=dependencies.bundled,
        removed=dependencies.removed,
    )
    check_size(asset)
    return asset


def source_files(source_dir: Path) -> Iterator[Path]:
    """The files of src/ that go to Lambda: not bytecode, caches or packaging metadata."""
    for directory, subdirectories, files in os.walk(source_dir):
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in EXCLUDED_DIRECTORIES and not name.endswith(EXCLUDED_SUFFIXES)
        ]
        for name in files:
            if not name.endswith(EXCLUDED_SUFFIXES):
                yield Path(directory, name).relative_to(source_dir)


def asset_key(dependencies_key: str, source_dir: Path, sources: list[Path]) -> str:
    digest = hashlib.sha256(f"slackgate-asset-1\0{dependencies_key}\0".encode())
    for relative in sources:
        path = source_dir / relative
        digest.update(f"{relative.as_posix()}\0{os.stat(path).st_mode & 0o111}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _stage(
    staged: Path,
    source_dir: Path,
    sources: list[Path],
    site: Path | None,
    marker: dict[str, object],
) -> None:
    def fill(scratch: Path) -> None:
        if site is not None:
            _refuse_clashes(source_dir, site)
            # Hard links: the cached files are never written to, and linking costs no space.
            shutil.copytree(site, scratch, copy_function=_link_or_copy, dirs_exist_ok=True)
        for relative in sources:
            (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source_dir / relative, scratch / relative)
        (scratch / MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")

    build_in_place(staged, MARKER, fill)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _refuse_clashes(source_dir: Path, site: Path) -> None:
    clashes = sorted({p.name for p in source_dir.iterdir()} & {p.name for p in site.iterdir()})
    if clashes:
        raise PackagingError(
            f"src/ and the installed dependencies both provide {', '.join(clashes)}; "
            "rename your package or drop the dependency that ships the same name"
        )


def tree_size(directory: Path) -> int:
    return sum(
        os.lstat(os.path.join(parent, name)).st_size
        for parent, _, files in os.walk(directory)
        for name in files
    )


def megabytes(size: int) -> str:
    """Lambda's units: 1 MB is 1024 KB."""
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / 1024**2, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def check_size(asset: Asset) -> None:
    """Refuses what Lambda would refuse at deploy time; warns well before."""
    if asset.size < WARNING_SIZE:
        return
    biggest = ", ".join(f"{name} {megabytes(size)}" for name, size in largest_parts(asset.path))
    if asset.size >= LAMBDA_UNZIPPED_LIMIT:
        raise PackagingError(
            f"the function's asset is {megabytes(asset.size)} unzipped; Lambda allows "
            f"{megabytes(LAMBDA_UNZIPPED_LIMIT)}. Largest parts: {biggest}. Drop or replace "
            "the heaviest dependencies in pyproject.toml."
        )
    print(
        f"slackgate: warning: the function's asset is {megabytes(asset.size)} unzipped, "
        f"close to Lambda's {megabytes(LAMBDA_UNZIPPED_LIMIT)} limit. Largest parts: "
        f"{biggest}.",
        file=sys.stderr,
        flush=True,
    )


def largest_parts(directory: Path, most: int = 3) -> list[tuple[str, int]]:
    sizes = [
        (entry.name, tree_size(entry) if entry.is_dir() else entry.lstat().st_size)
        for entry in directory.iterdir()
        if not entry.name.endswith(".dist-info")
    ]
    return sorted(sizes, key=lambda item: item[1], reverse=True)[:most]


def staged_assets(outdir: Path) -> dict[Path, dict[str, object]]:
    """The copies of this function's asset in a cloud assembly directory, with their marker."""
    found = {}
    for directory in sorted(outdir.glob("asset.*")):
        marker = directory / MARKER
        if marker.is_file():
            found[directory] = json.loads(marker.read_text(encoding="utf-8"))
    return found


def prune_stale_assets(outdir: Path, key: str) -> None:
    """Removes older copies of this function's asset from cdk.out.

    The CDK adds an `asset.<hash>` directory for every version of the code and never
    removes one; only this function's copies (they carry the marker) are touched.
    """
    if not outdir.is_dir():
        return
    for directory, marker in staged_assets(outdir).items():
        if marker.get("key") != key:
            shutil.rmtree(directory, ignore_errors=True)
