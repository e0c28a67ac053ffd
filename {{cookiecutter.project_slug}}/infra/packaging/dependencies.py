"""The team's runtime dependencies, installed for Lambda's platform and cached.

`declared_requirements` reads `[project] dependencies` from pyproject.toml. `install` puts
them into a directory with pip's cross-platform options (wheels only, for the runtime's
Python, CPU and glibc), removes what the Lambda runtime already has, and keeps the result
under `.slackgate/build/deps/<key>/`, the key being a hash of everything that decides what
is installed. The next synthesis with the same key uses that directory and runs no pip.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PathDistribution
from pathlib import Path

BUILD_DIR = Path(".slackgate") / "build"
ARM64 = "arm64"
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
# Lambda's Python runtimes and the glibc of their operating system: python3.11 runs on
# Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon Linux 2023 (glibc 2.34).
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html
OPERATING_SYSTEMS = {"3.11": ("Amazon Linux 2", 26)}
NEWEST_OPERATING_SYSTEM = ("Amazon Linux 2023", 34)
# Wheels only: nothing is compiled on this machine, whose compiler and libraries are not
# Lambda's. No bytecode: it would be this machine's Python version, not the runtime's.
PIP_OPTIONS = (
    "--only-binary=:all:",
    "--implementation=cp",
    "--no-compile",
    "--no-warn-script-location",
    "--disable-pip-version-check",
    "--no-input",
    "--progress-bar=off",
)
# The AWS SDK is part of every Python runtime: it is removed from the asset even when a
# dependency requires it, unless the team lists it itself (to pin its own version).
AWS_SDK = frozenset({"boto3", "botocore", "s3transfer"})
# What the SDK brings along, also in the runtime: removed unless something kept needs it.
SDK_HELPERS = frozenset({"jmespath", "python-dateutil", "six", "urllib3"})
KEEP_CACHED_BUILDS = 3
MANIFEST = "manifest.json"
REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
NO_MATCHING = re.compile(r"No matching distribution found for (\S+)")
OFFLINE_SIGNS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Could not fetch URL",
)


class PackagingError(Exception):
    """Synthesis cannot build the function's asset; the message says why and what to do."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = REQUIREMENT_NAME.match(requirement)
    if not match:
        raise PackagingError(
            f"pyproject.toml: {requirement!r} in [project] dependencies is not a requirement; "
            'write it like "requests==2.32.3"'
        )
    return canonical(match.group(1))


def declared_requirements(pyproject: Path) -> tuple[str, ...]:
    """`[project] dependencies` of pyproject.toml, as written."""
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PackagingError(f"cannot read {pyproject}: {error}") from error
    requirements = project.get("dependencies", [])
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        raise PackagingError(
            f"{pyproject}: [project] dependencies must be a list of requirement strings, "
            'e.g. dependencies = ["requests==2.32.3"]'
        )
    for requirement in requirements:
        requirement_name(requirement)
    return tuple(requirement.strip() for requirement in requirements)


@dataclass(frozen=True)
class Target:
    """Where the function runs: its Python version and CPU architecture."""

    python_version: str
    architecture: str = ARM64

    @property
    def operating_system(self) -> tuple[str, int]:
        return OPERATING_SYSTEMS.get(self.python_version, NEWEST_OPERATING_SYSTEM)

    @property
    def platforms(self) -> tuple[str, ...]:
        """pip's --platform values: every manylinux level the runtime's glibc loads.

        pip does not expand manylinux_2_X to the lower levels by itself, so all are listed.
        """
        machine = MACHINES[self.architecture]
        newest = self.operating_system[1]
        levels = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, 16, -1)]
        return (*levels, f"manylinux2014_{machine}")

    def describe(self) -> str:
        return f"python{self.python_version}, {self.architecture}"

    def wheel_wanted(self) -> str:
        system, glibc = self.operating_system
        tag = f"cp{self.python_version.replace('.', '')}"
        return (
            f"Lambda runs python{self.python_version} on {system} (glibc 2.{glibc}), "
            f"{self.architecture}: it needs a wheel tagged py3-none-any, or {tag} or abi3 "
            f"with manylinux (at most 2.{glibc}) {MACHINES[self.architecture]}"
        )


@dataclass(frozen=True)
class Dependencies:
    """The installed dependencies: `site` is None when there are none."""

    key: str
    site: Path | None = None
    bundled: dict[str, str] = field(default_factory=dict)  # name -> version
    removed: tuple[str, ...] = ()  # provided by the Lambda runtime


def cache_key(requirements: Sequence[str], target: Target) -> str:
    """Everything that decides what `install` puts into the directory."""
    spec = {
        "format": 1,
        "requirements": list(requirements),
        "python": target.python_version,
        "architecture": target.architecture,
        "platforms": list(target.platforms),
        "pip": list(PIP_OPTIONS),
        "aws_sdk": sorted(AWS_SDK),
        "sdk_helpers": sorted(SDK_HELPERS),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def install(
    repo_root: Path,
    requirements: Sequence[str],
    target: Target,
    *,
    say: Callable[[str], None] | None = None,
) -> Dependencies:
    """The requirements installed for `target`: from the cache, else built once with pip."""
    key = cache_key(requirements, target)
    if not requirements:
        return Dependencies(key=key)  # no pip at all: the common case must stay fast
    cache = repo_root / BUILD_DIR / "deps"
    directory = cache / key[:16]
    manifest = directory / MANIFEST
    if not manifest.is_file():
        (say or _stderr)(
            f"installing {len(requirements)} dependenc{'y' if len(requirements) == 1 else 'ies'}"
            f" for Lambda ({target.describe()}) into {directory.relative_to(repo_root)}"
        )
        _build(directory, requirements, target)
        _prune(cache, keep=directory)
    data = json.loads(manifest.read_text(encoding="utf-8"))
    os.utime(manifest)  # most recently used: kept by _prune
    return Dependencies(
        key=key,
        site=directory / "site",
        bundled=dict(data["bundled"]),
        removed=tuple(data["removed"]),
    )


def _stderr(message: str) -> None:
    print(f"slackgate: {message}", file=sys.stderr, flush=True)


def _build(directory: Path, requirements: Sequence[str], target: Target) -> None:
    def fill(scratch: Path) -> None:
        site = scratch / "site"
        _pip_install(site, requirements, target)
        shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts, for this machine
        declared = {requirement_name(r) for r in requirements}
        removed = remove_runtime_provided(site, declared)
        bundled = {name: dist.version for name, dist in distributions(site).items()}
        manifest = {
            "requirements": list(requirements),
            "target": target.describe(),
            "bundled": dict(sorted(bundled.items())),
            "removed": sorted(removed),
        }
        (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    build_in_place(directory, MANIFEST, fill)


def build_in_place(directory: Path, last_file: str, fill: Callable[[Path], None]) -> None:
    """Fills a scratch directory beside `directory` and renames it into place, so that an
    interrupted build leaves nothing that looks complete; `last_file` is written last."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".building-"))
    try:
        fill(scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        os.rename(scratch, directory)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not (directory / last_file).is_file():  # else a parallel synthesis built it first
            raise


def _pip_install(site: Path, requirements: Sequence[str], target: Target) -> None:
    platforms = [f"--platform={platform}" for platform in target.platforms]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        *PIP_OPTIONS,
        f"--python-version={target.python_version}",
        *platforms,
        f"--target={site}",
        *requirements,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise PackagingError(f"cannot run pip ({sys.executable} -m pip): {error}") from error
    if result.returncode != 0:
        raise PackagingError(explain_pip_failure(result.stderr, requirements, target))


def explain_pip_failure(stderr: str, requirements: Sequence[str], target: Target) -> str:
    """What went wrong and what to do, then pip's own last relevant lines."""
    heading = f"cannot package the dependencies for Lambda ({target.describe()})"
    missing = NO_MATCHING.search(stderr)
    if "No module named pip" in stderr:
        advice = (
            f"{sys.executable} has no pip. Run `make setup` (or "
            f"`{sys.executable} -m ensurepip`) and synthesize again."
        )
    elif any(sign in stderr for sign in OFFLINE_SIGNS):
        advice = (
            "pip could not reach the package index. The first build of a dependency list "
            "needs it; once built, synthesis uses .slackgate/build and works offline. "
            "Connect (or set PIP_INDEX_URL / PIP_FIND_LINKS to a mirror) and try again."
        )
    elif missing:
        name = missing.group(1).rstrip(".")
        declared = {requirement_name(r) for r in requirements}
        which = (
            "" if requirement_name(name) in declared else " (needed by one of your dependencies)"
        )
        advice = (
            f"{name}{which} has no wheel for the function's platform. "
            f"{target.wheel_wanted()}; nothing is compiled here.\n"
            f"What to do, in pyproject.toml [project] dependencies:\n"
            f"  - pin a version of {name} that publishes such a wheel (its files on PyPI "
            "list their tags), or\n"
            "  - use a pure-Python alternative, or\n"
            "  - build the wheel yourself for that platform and let pip find it: "
            "PIP_FIND_LINKS=<directory of wheels> make synth"
        )
    else:
        advice = "pip failed; its message follows."
    return f"{heading}: {advice}\npip said:\n" + "\n".join(
        f"  {line}" for line in relevant_lines(stderr)
    )


def relevant_lines(stderr: str, most: int = 8) -> list[str]:
    """pip's ERROR lines, else its last lines: enough to see the cause, not the wall."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines)[-most:]


def distributions(site: Path) -> dict[str, PathDistribution]:
    found = {}
    for info in sorted(site.glob("*.dist-info")):
        dist = PathDistribution(info)
        found[canonical(dist.metadata["Name"])] = dist
    return found


def required_names(dist: PathDistribution) -> set[str]:
    """What `dist` needs. Requirements of extras are left out; other markers count as
    needed: keeping a package the runtime also has is safe, removing a needed one is not."""
    names = set()
    for requirement in dist.requires or ():
        _, _, marker = requirement.partition(";")
        if "extra" not in marker:
            names.add(requirement_name(requirement))
    return names


def runtime_provided(requires: dict[str, set[str]], declared: Iterable[str]) -> set[str]:
    """The installed distributions to leave to the Lambda runtime.

    `requires` maps each installed distribution to what it needs. Kept: everything not in
    the runtime, what the team declares itself, and what a kept distribution needs; the
    SDK itself only when the SDK needs it (a pinned boto3 brings its own botocore).
    """
    runtime = AWS_SDK | SDK_HELPERS
    kept = {name for name in requires if name not in runtime or name in set(declared)}
    pending = list(kept)
    while pending:
        name = pending.pop()
        for needed in requires[name]:
            if needed in requires and needed not in kept:
                if needed in AWS_SDK and name not in AWS_SDK:
                    continue
                kept.add(needed)
                pending.append(needed)
    return set(requires) - kept


def remove_runtime_provided(site: Path, declared: Iterable[str]) -> set[str]:
    installed = distributions(site)
    requires = {name: required_names(dist) for name, dist in installed.items()}
    removed = runtime_provided(requires, declared)
    for name in removed:
        _uninstall(site, installed[name])
    return removed


def _uninstall(site: Path, dist: PathDistribution) -> None:
    """Deletes the files of `dist` listed in its RECORD, then its emptied directories."""
    root = site.resolve()
    directories = set()
    for file in dist.files or ():
        path = Path(dist.locate_file(file)).resolve()
        if path.is_relative_to(root) and path != root:
            path.unlink(missing_ok=True)
            directories.update(p for p in path.parents if p.is_relative_to(root) and p != root)
    for directory in sorted(directories, key=lambda p: len(p.parts), reverse=True):
        shutil.rmtree(directory / "__pycache__", ignore_errors=True)
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def _prune(cache: Path, keep: Path) -> None:
    """Keeps the few most recently used builds (switching branches back stays offline)."""
    builds = [p for p in cache.iterdir() if (p / MANIFEST).is_file() and p != keep]
    builds.sort(key=lambda p: (p / MANIFEST).stat().st_mtime, reverse=True)
    for old in builds[KEEP_CACHED_BUILDS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
