"""The shared gateway's infrastructure: one CDK stack, deployed once per account and region.

`build_app()` is the single entry point (used by `app.py`, the tests and the benchmark).
Each module holds one construct with one job; `stack.py` wires them together. Imports are
lazy so that light helpers (`python -m shared_gateway.infra.credentials`) start instantly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GatewayConfig", "build_app"]


def __getattr__(name: str) -> Any:
    if name == "build_app":
        from .build import build_app

        return build_app
    if name == "GatewayConfig":
        from .config import GatewayConfig

        return GatewayConfig
    raise AttributeError(name)
