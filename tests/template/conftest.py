"""Fixtures for baking the template (the repository root) with pytest-cookies."""

from __future__ import annotations

import importlib
import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "hooks"


class Baker:
    """`cookies.bake` with the template fixed to this repository."""

    def __init__(self, cookies) -> None:
        self._cookies = cookies

    def __call__(self, **answers: str):
        # The template's Jinja extension (hooks/quiet_hook_failures.py) is imported by name
        # before cookiecutter puts the template on sys.path; `python -m pytest` has the
        # repository there already (the current directory), the `pytest` script does not.
        # Here rather than in a fixture: module-scoped bakes (cookies_session) need it too.
        sys.path.insert(0, str(ROOT))
        try:
            return self._cookies.bake(extra_context=answers, template=str(ROOT))
        finally:
            sys.path.remove(str(ROOT))


@pytest.fixture
def bake(cookies) -> Baker:
    return Baker(cookies)


def load_hook(name: str) -> ModuleType:
    """Imports a hook as written (unrendered): its functions take the answers as arguments."""
    spec = importlib.util.spec_from_file_location(f"slackgate_hook_{name}", HOOKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pre_gen() -> ModuleType:
    return load_hook("pre_gen_project")


@pytest.fixture(scope="session")
def post_gen() -> ModuleType:
    return load_hook("post_gen_project")


TEMPLATE_INFRA = ROOT / "{{cookiecutter.project_slug}}" / "infra"


@pytest.fixture(scope="session")
def template_infra() -> ModuleType:
    """The template's pure infra modules (resources, grants) as a package, without running
    infra/__init__.py (which needs the rendered settings)."""
    name = "slackgate_template_infra"
    package = ModuleType(name)
    package.__path__ = [str(TEMPLATE_INFRA)]
    sys.modules[name] = package
    # No __pycache__ in the template: bakes would copy it into every project.
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        for module in ("resources", "grants"):
            importlib.import_module(f"{name}.{module}")
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return package


@pytest.fixture(scope="session")
def resources(pre_gen) -> ModuleType:
    """infra/resources.py, found and loaded the way the pre-generation hook does it."""
    path = pre_gen.find_resources_module([str(ROOT)], None)
    assert path == TEMPLATE_INFRA / "resources.py"
    return pre_gen.load_resources(path)


def write_tool(directory: Path, name: str, exit_code: int = 0) -> Path:
    """A stand-in for a command line tool: records its arguments, exits with exit_code."""
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / f"{name}.calls"
    tool = directory / name
    complaint = f'echo "{name}: pretending to fail" >&2\n' if exit_code else ""
    tool.write_text(f'#!/bin/sh\necho "$PWD $*" >> "{record}"\n{complaint}exit {exit_code}\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return record


@pytest.fixture
def fake_deploy_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Puts recording make/npx/cdk first on PATH; returns a function reading make's calls."""
    bin_dir = tmp_path / "fake-bin"

    def install(exit_code: int = 0) -> Path:
        records = [write_tool(bin_dir, tool, exit_code) for tool in ("make", "npx", "cdk")]
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        return records[0]

    return install
