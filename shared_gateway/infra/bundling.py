"""The relay's deployment package: `relay/` (the runtime package, with its bytecode) plus the
bundled registry.

The registry is validated here, before any construct exists, so a bad registry fails
synthesis fast with the validator's own message. Channels with a plain `url` work locally
but are refused for deployment: in AWS every webhook URL lives in Secrets Manager.

Bytecode: Lambda's code directory is read-only, so without shipped `.pyc` files every cold
start compiles the relay from source (about 30 ms of a 45 ms cold start). The package is
compiled here, by the Python that synthesizes, with `--invalidation-mode unchecked-hash`
(no timestamps to check against the zip's, and a stable asset hash), and the relay's
runtime is that same Python version (`relay_runtime_name`), so the bytecode always matches
the interpreter that loads it.

The package also gets the scanner's keyword layout as a module of constants
(`relay.keywords.layout_module_source`): plain data derived from the rules, laid out here so
that a cold start loads it instead of computing it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..relay.keywords import LAYOUT_MODULE, layout_module_source
from ..relay.registry import Registry, RegistryError, load_registry
from .config import PACKAGE_DIR

RELAY_SOURCE = PACKAGE_DIR / "relay"
REGISTRY_NAME = "registry.toml"  # as written, for whoever reads the asset
# What the relay reads (SLACKGATE_CONFIG=/var/task/registry.json): the same data as JSON, so a
# cold start parses it with the json module instead of importing tomllib.
BUNDLED_REGISTRY_NAME = "registry.json"
HANDLER = "relay.handler.handler"
TASK_ROOT = "/var/task"  # where Lambda unpacks the code; the bytecode names its files there
# Lambda's Python runtimes that a relay can be compiled for (the team template offers the same).
LAMBDA_PYTHONS = ((3, 11), (3, 12), (3, 13), (3, 14))
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*", "*~")


class BundlingPythonError(RuntimeError):
    """The Python that synthesizes has no matching Lambda runtime to load its bytecode."""


def relay_runtime_name(version: tuple[int, int] | None = None) -> str:
    """The Lambda runtime for the relay: the version of the Python compiling its bytecode.

    Bytecode is only valid for the minor version that wrote it (its magic number); an
    interpreter that finds another version's `.pyc` silently compiles from source again.
    """
    major, minor = version or sys.version_info[:2]
    if (major, minor) not in LAMBDA_PYTHONS:
        offered = ", ".join(f"{a}.{b}" for a, b in LAMBDA_PYTHONS)
        raise BundlingPythonError(
            f"the gateway is being synthesized with Python {major}.{minor}, which has no "
            f"Lambda runtime to run the relay's bytecode (offered: {offered}) — recreate the "
            "virtual environment with one of those, e.g. `python3.13 -m venv .venv`, and "
            "install it again"
        )
    return f"python{major}.{minor}"


class DeploymentRegistryError(ValueError):
    """The registry is valid locally but cannot be deployed."""


def load_deployable_registry(path: Path) -> Registry:
    """The registry at `path`, validated, with every channel backed by a secret."""
    registry = load_registry(path)  # raises RegistryError with every problem listed
    local = registry.local_url_channels()
    if local:
        lines = "\n".join(
            f"  {path}: channels.{alias}: has `url` — replace it with "
            f'secret = "slackgate/channels/{alias}" and store the webhook URL in that secret'
            for alias in local
        )
        raise DeploymentRegistryError(
            f"registry {path} cannot be deployed: {len(local)} channel(s) use a plain `url`, "
            f"which is for local development only:\n{lines}"
        )
    return registry


def stage_relay_code(registry_path: Path, destination: Path) -> Path:
    """Writes the `relay` package, its bytecode and `registry.toml` into `destination`.

    The package is copied whole (modules, subpackages, data files) without local caches,
    then compiled, so the asset hash changes exactly when the relay's code, the registry or
    the compiling Python's version changes.
    """
    relay_runtime_name()  # refuse before staging anything the runtime could not load
    package = destination / "relay"
    if package.exists():
        shutil.rmtree(package)
    shutil.copytree(RELAY_SOURCE, package, ignore=_NOT_SHIPPED)
    # The scanner's keyword layout, laid out here once instead of at every cold start.
    (package / f"{LAYOUT_MODULE}.py").write_text(layout_module_source(), encoding="utf-8")
    compile_package(package)
    shutil.copyfile(registry_path, destination / REGISTRY_NAME)
    write_bundled_registry(registry_path, destination / BUNDLED_REGISTRY_NAME)
    return destination


def write_bundled_registry(registry_path: Path, destination: Path) -> None:
    """The TOML registry's data as JSON, keys sorted: the same registry, read faster."""
    import tomllib

    data = tomllib.loads(registry_path.read_text(encoding="utf-8"))
    destination.write_text(json.dumps(data, sort_keys=True, indent=1) + "\n", encoding="utf-8")


def compile_package(package: Path) -> None:
    """Writes `__pycache__/*.pyc` for every module of `package`, reproducibly.

    A child interpreter with a fixed hash seed: string sets and frozensets in constants are
    marshalled in hash order, so a random seed would change the bytes (and the asset hash,
    hence a needless deployment) on every synthesis.
    """
    command = [
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(package.parent),
        "-p",
        TASK_ROOT,
        str(package),
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    for name in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", "PYTHONOPTIMIZE"):
        environment.pop(name, None)  # each would put the bytecode elsewhere or change it
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BundlingPythonError(
            f"compiling the relay's bytecode failed ({' '.join(command)}):\n"
            + (result.stdout + result.stderr).strip()
        )


def staged_relay_code(registry_path: Path) -> Path:
    """A fresh staging directory, removed when the process exits.

    CDK copies an asset into the cloud assembly (`cdk.out/asset.<hash>`) when the Code
    object is created, so the temporary copy is not needed after synthesis.
    """
    directory = Path(tempfile.mkdtemp(prefix="slackgate-relay-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return stage_relay_code(registry_path, directory)


__all__ = [
    "BUNDLED_REGISTRY_NAME",
    "HANDLER",
    "LAMBDA_PYTHONS",
    "REGISTRY_NAME",
    "BundlingPythonError",
    "DeploymentRegistryError",
    "RegistryError",
    "compile_package",
    "load_deployable_registry",
    "relay_runtime_name",
    "stage_relay_code",
    "staged_relay_code",
]
