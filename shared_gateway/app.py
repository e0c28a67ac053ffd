#!/usr/bin/env python3
"""The shared gateway's CDK app: `cdk synth|diff|deploy` from shared_gateway/ (docs/gateway.md)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository root, for `import shared_gateway`

from shared_gateway.infra import build_app  # noqa: E402
from shared_gateway.infra.bundling import DeploymentRegistryError  # noqa: E402
from shared_gateway.infra.config import ConfigError  # noqa: E402
from shared_gateway.relay.registry import RegistryError  # noqa: E402


def main() -> None:
    try:
        app, _stack = build_app(base_dir=HERE)
    except (ConfigError, RegistryError, DeploymentRegistryError) as problem:
        # The message says what is wrong and how to fix it; a traceback would bury it.
        sys.exit(f"slackgate: {problem}")
    app.synth()


if __name__ == "__main__":
    main()
