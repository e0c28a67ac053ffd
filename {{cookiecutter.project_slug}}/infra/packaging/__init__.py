"""The function's code as Lambda receives it: src/ and its dependencies, built at synthesis.

Decisions, and why:

- One place declares what the code needs at run time: `[project] dependencies` in
  pyproject.toml. `make setup` installs the same list into .venv for tests, so there is
  no second list (requirements.txt, a lock file) to keep in step. Pin versions (`==`) and
  every build bundles the same thing; the cached build below keeps one machine stable
  even with ranges, until the list changes.
- The dependencies are installed for Lambda's platform, not this machine's, without
  Docker: pip with `--only-binary=:all: --implementation cp --python-version <runtime>` and
  a `--platform` per manylinux level the runtime's glibc loads (arm64 is `aarch64`). A
  package without a fitting wheel stops synthesis with its name and what to do; nothing is
  compiled here, since this machine's compiler and libraries are not Lambda's.
- The install is cached in `.slackgate/build/deps/<key>` (gitignored), the key hashing
  the dependency list, Python version, architecture, platforms and pip options; a second
  synthesis runs no pip and needs no network. With no dependencies pip is not run at all.
- boto3, botocore and s3transfer are in every Lambda Python runtime: they are removed
  from the asset even when a dependency requires them, unless the team lists one of them
  itself (then it is kept with what it needs: that is how to pin your own SDK). Their
  helpers (jmespath, python-dateutil, six, urllib3) are removed when nothing else needs them.
- One asset, no layer: a repository deploys one function, so a layer would be shared by
  nobody; it would add a resource and a version to keep in step, and its size counts
  against the same 250 MB. What a layer would save, re-uploading unchanged dependencies
  when only the code changes, matters only for heavy dependencies.
- The asset's size (unzipped) is checked at synthesis: a warning from 200 MB, an error
  at Lambda's 250 MB limit, with the largest parts named.
- `tests/test_asset.py` imports the handler from the built asset in a fresh interpreter
  that has only the standard library and the runtime's packages, so a dependency missing
  from the asset fails `make test` rather than the deployed function.

Known limit: pip evaluates environment markers (`; platform_machine == ...`) against this
machine, not Lambda; keep markers out of `[project] dependencies`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .asset import Asset, build_asset, megabytes, prune_stale_assets, staged_assets
from .dependencies import ARM64, PackagingError
from .importcheck import import_problem

if TYPE_CHECKING:
    from aws_cdk import aws_lambda as lambda_
    from constructs import Construct

__all__ = [
    "ARCHITECTURE",
    "ARM64",
    "Asset",
    "PackagingError",
    "build_asset",
    "function_code",
    "import_problem",
    "megabytes",
    "staged_assets",
]

# The architecture the stack gives the function; tests/test_asset.py checks they agree.
ARCHITECTURE = ARM64


def function_code(scope: Construct, source_dir: Path, python_version: str) -> lambda_.Code:
    """The function's `code`: the built asset, under its own hash."""
    # Imported here, so that building or checking the asset does not load the CDK.
    from aws_cdk import AssetHashType, Stage
    from aws_cdk import aws_lambda as lambda_

    asset = build_asset(source_dir, python_version, ARCHITECTURE)
    stage = Stage.of(scope)
    if stage is not None and stage.asset_outdir:
        prune_stale_assets(Path(stage.asset_outdir), asset.key)
    return lambda_.Code.from_asset(
        str(asset.path), asset_hash=asset.key, asset_hash_type=AssetHashType.CUSTOM
    )
