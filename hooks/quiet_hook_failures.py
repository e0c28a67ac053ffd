"""Keeps cookiecutter and cruft from printing their own stack trace when a hook fails.

The hooks explain every failure themselves (each problem with its fix, and the command to
run again). cookiecutter then adds a stack trace of its own frames, which says nothing
more: `run_hook_from_repo_dir` (cookiecutter/hooks.py) logs the `FailedHookException` with
`logger.exception` — to stdout through the CLI's handler, to stderr through logging's
last-resort handler when called as a library (pytest-cookies, cruft). cruft then lets the
exception reach the top, where typer prints it again, 100 lines long.

Hooks run in processes of their own and cannot change that; this module runs in
cookiecutter's process. cookiecutter.json lists it under `_extensions`, so cookiecutter (CLI
and API) and cruft import it when they build their Jinja environment, before any hook runs
(both put the template's directory on `sys.path` for that). It adds no template syntax:

- the log record of a failed hook is dropped; the exception itself is still raised, and the
  cookiecutter CLI still prints its one line ("Hook script failed (exit status: 1)");
- an uncaught `FailedHookException` (cruft) is printed as that one line, exit status 1.

Other errors, and a hook's own traceback (printed by the hook's process), are untouched.
The effect lasts for the process: it is the same for every template generated in it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension

HOOKS_LOGGER = "cookiecutter.hooks"
ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


class DropFailedHookRecords(logging.Filter):
    """Drops the record `run_hook_from_repo_dir` logs with a FailedHookException."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, FailedHookException)


def excepthook_printing_hook_failures_briefly(previous: ExceptHook) -> ExceptHook:
    """`previous`, except that a FailedHookException is printed as its message alone."""

    def excepthook(
        kind: type[BaseException], error: BaseException, traceback: TracebackType | None
    ) -> None:
        if isinstance(error, FailedHookException):
            print(error, file=sys.stderr)
            return
        previous(kind, error, traceback)

    excepthook.slackgate_brief_hook_failures = True  # type: ignore[attr-defined]
    return excepthook


def install() -> None:
    """Idempotent: cookiecutter builds several environments per generation."""
    logger = logging.getLogger(HOOKS_LOGGER)
    if not any(isinstance(existing, DropFailedHookRecords) for existing in logger.filters):
        logger.addFilter(DropFailedHookRecords())
    if not getattr(sys.excepthook, "slackgate_brief_hook_failures", False):
        sys.excepthook = excepthook_printing_hook_failures_briefly(sys.excepthook)


class QuietHookFailures(Extension):
    """The Jinja extension cookiecutter loads; see the module's docstring."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        install()
