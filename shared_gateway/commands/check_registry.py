"""Validate a registry of teams and channels (for the platform team's CI).

Exit status 0 when the registry is valid, 1 with every problem listed when it is not.
"""

from __future__ import annotations

import argparse
import sys

from shared_gateway.relay.registry import RegistryError, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="the registry TOML file")
    parser.add_argument(
        "--deployable",
        action="store_true",
        help="also refuse channels with a plain `url` (allowed only for local use)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        registry = load_registry(args.path)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    local_only = registry.local_url_channels()
    if args.deployable and local_only:
        for alias in local_only:
            print(
                f"{args.path}: channels.{alias}.url: a plain webhook URL is for local use only — "
                "use `secret` for a deployed relay",
                file=sys.stderr,
            )
        return 1
    print(f"{args.path}: ok — {len(registry.teams)} team(s), {len(registry.channels)} channel(s)")
    return 0
