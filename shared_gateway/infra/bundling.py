"""The relay's deployment package: `relay/` (the runtime package) plus the bundled registry.

The registry is validated here, before any construct exists, so a bad registry fails
synthesis fast with the validator's own message. Channels with a plain `url` work locally
but are refused for deployment: in AWS every webhook URL lives in Secrets Manager.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from ..relay.registry import Registry, RegistryError, load_registry
from .config import PACKAGE_DIR

RELAY_SOURCE = PACKAGE_DIR / "relay"
REGISTRY_NAME = "registry.toml"  # /var/task/registry.toml in the function
HANDLER = "relay.handler.handler"


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
    """Writes `relay/*.py` and `registry.toml` into `destination`; returns it.

    Only the package's modules are copied (no caches, no tests), so the asset hash changes
    exactly when the relay's code or the registry changes.
    """
    package = destination / "relay"
    package.mkdir(parents=True, exist_ok=True)
    for module in sorted(RELAY_SOURCE.glob("*.py")):
        shutil.copyfile(module, package / module.name)
    shutil.copyfile(registry_path, destination / REGISTRY_NAME)
    return destination


def staged_relay_code(registry_path: Path) -> Path:
    """A fresh staging directory, removed when the process exits.

    CDK copies an asset into the cloud assembly (`cdk.out/asset.<hash>`) when the Code
    object is created, so the temporary copy is not needed after synthesis.
    """
    directory = Path(tempfile.mkdtemp(prefix="slackgate-relay-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return stage_relay_code(registry_path, directory)


__all__ = [
    "HANDLER",
    "REGISTRY_NAME",
    "DeploymentRegistryError",
    "RegistryError",
    "load_deployable_registry",
    "stage_relay_code",
    "staged_relay_code",
]
