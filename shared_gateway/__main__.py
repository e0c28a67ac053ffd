"""python -m shared_gateway <command>: the platform team's command line.

Each command lives in its own module with `add_arguments(parser)` and `run(args) -> int`;
modules import their heavy dependencies inside `run`, so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "check-registry": "shared_gateway.commands.check_registry",
    "relay": "shared_gateway.local.command",
    "audit": "shared_gateway.audit.command",
    "preflight": "shared_gateway.preflight.command",
    "guardrails": "shared_gateway.guardrails.command",
    "organisation": "shared_gateway.organisation.command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shared_gateway",
        description="slackgate's shared gateway: registry checks, the local relay, the audit.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command whose module is not part of this build
        summary = (module.__doc__ or "").strip().splitlines()[0]
        sub = subparsers.add_parser(name, help=summary, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
