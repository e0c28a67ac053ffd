"""A team repository's dependencies, packaged for Lambda at synthesis.

Offline: pip reads a wheelhouse written here (PIP_NO_INDEX, PIP_FIND_LINKS), holding a
pure-Python package, a "compiled" one (a wheel tagged for Lambda's platform, with a
stand-in extension module and a pure fallback), one with an x86_64 wheel only, and stand-ins
for boto3 and botocore. The rules and messages are tested on the template's own module;
`make synth` and the generated asset-import test on baked repositories.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT

PACKAGING = ROOT / "{{cookiecutter.project_slug}}" / "infra" / "packaging"
PYTHON = "3.13"  # the template's default runtime
LAMBDA_TAG = "cp313-cp313-manylinux2014_aarch64"
COMPILED = "_speedups.cpython-313-aarch64-linux-gnu.so"
PURE = "py3-none-any"


def write_wheel(
    wheelhouse: Path, name: str, tag: str, files: dict[str, str], requires: tuple[str, ...] = ()
) -> None:
    """A wheel as pip expects one: the files, METADATA, WHEEL and a RECORD with hashes."""
    info = f"{name}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    purelib = "true" if tag == PURE else "false"
    wheel = f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: {purelib}\nTag: {tag}\n"
    entries = {**files, f"{info}/METADATA": metadata, f"{info}/WHEEL": wheel}
    record = []
    for path, text in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    entries[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(wheelhouse / f"{name}-1.0-{tag}.whl", "w") as archive:
        for path, text in entries.items():
            archive.writestr(path, text)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    # purething needs boto3, which the Lambda runtime has: it must not be bundled.
    write_wheel(
        wheelhouse,
        "purething",
        PURE,
        {"purething/__init__.py": "VALUE = 'pure'\n"},
        requires=("boto3",),
    )
    write_wheel(
        wheelhouse,
        "boto3",
        PURE,
        {"boto3/__init__.py": "STAND_IN = True\n"},
        requires=("botocore",),
    )
    write_wheel(wheelhouse, "botocore", PURE, {"botocore/__init__.py": "STAND_IN = True\n"})
    fallback = (
        "try:\n    from ._speedups import total\nexcept ImportError:\n"
        "    from ._pure import total\n"
    )
    write_wheel(
        wheelhouse,
        "fastthing",
        LAMBDA_TAG,
        {
            "fastthing/__init__.py": fallback,
            "fastthing/_pure.py": "def total(values):\n    return sum(values)\n",
            f"fastthing/{COMPILED}": "\x7fELF stands in for an aarch64 extension module",
        },
    )
    write_wheel(
        wheelhouse, "x86only", "cp313-cp313-manylinux2014_x86_64", {"x86only/__init__.py": ""}
    )
    return wheelhouse


def offline_pip(wheelhouse: Path) -> dict[str, str]:
    """pip reads these variables: no index, this directory only, no user configuration."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


@pytest.fixture(scope="session")
def packaging() -> ModuleType:
    """The template's infra/packaging, imported as written (it has no template syntax)."""
    name = "slackgate_template_packaging"
    spec = importlib.util.spec_from_file_location(
        name, PACKAGING / "__init__.py", submodule_search_locations=[str(PACKAGING)]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def repository(root: Path, requirements: list[str], handler: str) -> Path:
    """The parts of a team repository packaging reads: pyproject.toml and src/."""
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("")
    (root / "src" / "app" / "handler.py").write_text(handler)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "app"\ndependencies = {json.dumps(requirements)}\n'
    )
    return root / "src"


RUNTIME_PROVIDED = {
    # (what is installed and needs what, what the team declares, what is left to Lambda)
    "sdk-needed-by-a-dependency": (
        {
            "purething": {"boto3"},
            "boto3": {"botocore", "s3transfer", "jmespath"},
            "s3transfer": {"botocore"},
            "botocore": {"jmespath", "python-dateutil", "urllib3"},
            "jmespath": set(),
            "python-dateutil": {"six"},
            "six": set(),
            "urllib3": set(),
        },
        {"purething"},
        {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"},
    ),
    "helper-needed-by-a-dependency-is-kept": (
        {"requests": {"urllib3", "idna"}, "idna": set(), "urllib3": set(), "botocore": set()},
        {"requests", "botocore"},  # botocore declared: pinned on purpose
        set(),
    ),
    "helper-needed-only-by-the-sdk": (
        {"httpx": {"idna"}, "idna": set(), "botocore": {"urllib3"}, "urllib3": set()},
        {"httpx"},
        {"botocore", "urllib3"},
    ),
    "pinned-boto3-brings-its-sdk": (
        {"boto3": {"botocore", "s3transfer"}, "s3transfer": {"botocore"}, "botocore": set()},
        {"boto3"},
        set(),
    ),
}


@pytest.mark.parametrize(
    ("requires", "declared", "removed"), RUNTIME_PROVIDED.values(), ids=RUNTIME_PROVIDED.keys()
)
def test_what_the_lambda_runtime_provides_is_not_bundled(
    packaging, requires, declared, removed
) -> None:
    assert packaging.dependencies.runtime_provided(requires, declared) == removed


def test_the_platforms_are_those_the_runtime_glibc_loads(packaging) -> None:
    amazon_linux_2 = packaging.dependencies.Target("3.11").platforms
    amazon_linux_2023 = packaging.dependencies.Target("3.13").platforms
    assert amazon_linux_2[0] == "manylinux_2_26_aarch64"
    assert amazon_linux_2023[0] == "manylinux_2_34_aarch64"
    assert amazon_linux_2023[-2:] == ("manylinux_2_17_aarch64", "manylinux2014_aarch64")
    assert all(platform.endswith("_aarch64") for platform in amazon_linux_2023)


def test_no_dependencies_no_pip(packaging, tmp_path, monkeypatch) -> None:
    def no_pip(*args: object) -> None:
        raise AssertionError("pip was run for an empty dependency list")

    monkeypatch.setattr(packaging.dependencies, "_pip_install", no_pip)
    source = repository(tmp_path, [], "def handler(event, context):\n    return 1\n")
    (source / "app" / "__pycache__").mkdir()
    (source / "app" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"stale")

    asset = packaging.build_asset(source, PYTHON)

    files = sorted(
        p.relative_to(asset.path).as_posix() for p in asset.path.rglob("*") if p.is_file()
    )
    assert files == ["app/__init__.py", "app/handler.py", packaging.asset.MARKER]
    assert asset.bundled == {}
    (source / "app" / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    changed = packaging.build_asset(source, PYTHON)
    assert changed.key != asset.key
    assert not asset.path.exists()  # the staged copy of the old code is gone


def test_an_asset_near_or_over_the_lambda_limit(packaging, tmp_path, capsys) -> None:
    (tmp_path / "pandas").mkdir()
    (tmp_path / "pandas" / "big.so").write_bytes(b"x" * 2048)
    target = packaging.dependencies.Target(PYTHON)

    def asset(size: int):
        return packaging.Asset(path=tmp_path, key="k", size=size, target=target)

    packaging.asset.check_size(asset(150 * 1024**2))
    assert capsys.readouterr().err == ""
    packaging.asset.check_size(asset(210 * 1024**2))
    assert "warning: the function's asset is 210 MB unzipped, close to Lambda's 250 MB" in (
        capsys.readouterr().err
    )
    with pytest.raises(packaging.PackagingError, match=r"251 MB unzipped; Lambda allows 250 MB"):
        packaging.asset.check_size(asset(251 * 1024**2))


def test_the_import_check_names_what_the_asset_lacks(packaging, tmp_path) -> None:
    asset = tmp_path / "asset"
    (asset / "app").mkdir(parents=True)
    (asset / "app" / "__init__.py").write_text("")

    def problem(handler_source: str) -> str | None:
        (asset / "app" / "handler.py").write_text(handler_source)
        return packaging.import_problem(asset, "app.handler.handler", PYTHON, "arm64", tmp_path)

    # botocore comes from the runtime, not the asset; pytest (installed here) does not.
    assert problem("import botocore\n\ndef handler(event, context):\n    pass\n") is None
    missing = problem("import pytest\n\ndef handler(event, context):\n    pass\n")
    assert "ModuleNotFoundError: No module named 'pytest'" in missing
    assert "add the distribution that provides it to [project] dependencies" in missing
    (asset / "app" / "_native.cpython-313-aarch64-linux-gnu.so").write_bytes(b"\x7fELF")
    compiled = problem("from . import _native\n\ndef handler(event, context):\n    pass\n")
    assert "app._native is in the asset, compiled for Lambda" in compiled
    assert problem("HANDLER = None\n") == "app.handler has no function handler: " + (
        "Lambda could not call the handler"
    )


# Baked repositories: `make synth` and the generated tests/test_asset.py.


def prepare(project: Path, requirements: list[str], imports: list[str]) -> None:
    """Declares the dependencies, imports them in the handler, and gives make a .venv that
    is this environment (the baked pins equal the root's), so `make synth` installs nothing."""
    pyproject = project / "pyproject.toml"
    text, count = re.subn(
        r"^dependencies = \[\]$",
        f"dependencies = {json.dumps(requirements)}",
        pyproject.read_text(),
        flags=re.MULTILINE,
    )
    assert count == 1
    pyproject.write_text(text)
    [handler] = project.glob("src/*/handler.py")
    handler.write_text(
        handler.read_text() + "".join(f"import {name}  # noqa: E402, F401\n" for name in imports)
    )
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    shim = venv / "bin" / "python"
    # Never `pip install -e .` into this environment, should make think .venv is stale.
    shim.write_text(
        '#!/bin/sh\ncase "$*" in *"pip install"*) echo "no installs here" >&2; exit 1;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)
    stamp = venv / ".installed-stamp"
    stamp.touch()
    later = time.time() + 86400
    os.utime(stamp, (later, later))


def make_synth(project: Path, pip_env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, **pip_env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    start = time.perf_counter()
    run = subprocess.run(
        ["make", "--no-print-directory", "synth"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return run, time.perf_counter() - start


@pytest.mark.slow
def test_make_synth_bundles_dependencies_for_lambda_once(bake, wheelhouse, tmp_path) -> None:
    result = bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    prepare(project, ["purething", "fastthing"], ["purething", "fastthing"])

    first, first_seconds = make_synth(project, offline_pip(wheelhouse))

    assert first.returncode == 0, first.stdout + first.stderr
    assert "installing 2 dependencies for Lambda (python3.13, arm64)" in first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "stack     slackgate-payments-nightly"
    assert lines[1] == "template  cdk.out/slackgate-payments-nightly.template.json"
    assert re.fullmatch(
        r"asset     cdk\.out/asset\.[0-9a-f]{64}  [\d.]+ KB unzipped \(Lambda allows 250 MB\), "
        r"for python3\.13, arm64",
        lines[2],
    )
    assert lines[3:] == [
        "bundled   fastthing 1.0, purething 1.0",
        "runtime   boto3, botocore: in the Lambda runtime, not bundled",
    ]
    [asset] = (project / "cdk.out").glob("asset.*")
    assert (asset / "purething" / "__init__.py").is_file()
    assert (asset / "fastthing" / COMPILED).is_file()
    assert (asset / "payments_nightly_report" / "handler.py").is_file()
    assert not [p.name for p in asset.iterdir() if p.name.startswith(("boto3", "botocore"))]
    assert not list(asset.rglob("__pycache__")) and not (asset / "bin").exists()
    template = json.loads(
        (project / "cdk.out/slackgate-payments-nightly.template.json").read_text()
    )
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert function["Properties"]["Code"]["S3Key"] == asset.name.removeprefix("asset.") + ".zip"

    # Changed code, and a pip that would find nothing: the dependencies come from the cache.
    [handler] = project.glob("src/*/handler.py")
    handler.write_text(handler.read_text() + "# changed\n")
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    second, second_seconds = make_synth(project, offline_pip(empty))

    assert second.returncode == 0, second.stdout + second.stderr
    assert "installing" not in second.stderr
    [newer] = (project / "cdk.out").glob("asset.*")  # the stale copy was removed
    assert (
        newer != asset and "# changed" in (newer / handler.relative_to(project / "src")).read_text()
    )
    print(f"make synth: first {first_seconds:.1f} s, cached {second_seconds:.1f} s")


@pytest.mark.slow
def test_a_dependency_without_a_lambda_wheel_stops_make_synth(bake, wheelhouse) -> None:
    result = bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    prepare(project, ["x86only"], [])

    run, _ = make_synth(project, offline_pip(wheelhouse))

    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert (
        "slackgate: cannot package the dependencies for Lambda (python3.13, arm64): "
        + ("x86only has no wheel for the function's platform")
        in run.stderr
    )
    assert "manylinux (at most 2.34) aarch64" in run.stderr
    assert "pin a version of x86only" in run.stderr and "pure-Python alternative" in run.stderr
    assert "PIP_FIND_LINKS=" in run.stderr
    assert "ERROR: No matching distribution found for x86only" in run.stderr
    assert len(run.stderr.splitlines()) < 20, run.stderr


# Makes packaging leave out one declared dependency, as a packaging bug would.
BREAK_PACKAGING = """
def pytest_configure(config):
    from infra.packaging import asset

    declared = asset.declared_requirements
    asset.declared_requirements = lambda pyproject: tuple(
        requirement for requirement in declared(pyproject) if requirement != "purething"
    )
"""


@pytest.mark.slow
def test_the_asset_import_test_fails_when_packaging_leaves_a_dependency_out(
    bake, wheelhouse, tmp_path
) -> None:
    result = bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    prepare(project, ["purething", "fastthing"], ["purething", "fastthing"])
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "break_packaging.py").write_text(BREAK_PACKAGING)

    def asset_test(*plugin: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *plugin,
                "tests/test_asset.py",
                "-k",
                "imports_from_the_built_asset",
            ],
            cwd=project,
            env={**os.environ, **offline_pip(wheelhouse), "PYTHONPATH": str(tmp_path / "plugins")},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    works = asset_test()
    assert works.returncode == 0, works.stdout[-3000:]
    broken = asset_test("-p", "break_packaging")
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "ModuleNotFoundError: No module named 'purething'" in broken.stdout
    assert "1 failed" in broken.stdout
