"""The relay's asset ships bytecode that its Lambda runtime really loads.

Lambda's code directory is read-only, so a relay shipped without valid `.pyc` files is
compiled from source at every cold start. The proof that the shipped bytecode is used: the
asset's sources are overwritten with modules that raise, and the relay still imports and
serves a request in a fresh interpreter that may not write bytecode.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shared_gateway.infra.bundling import (
    LAMBDA_PYTHONS,
    RELAY_SOURCE,
    BundlingPythonError,
    relay_runtime_name,
    stage_relay_code,
)

from .conftest import Synthesized

REPO = Path(__file__).resolve().parents[2]
REGISTRY = REPO / "shared_gateway" / "registry.toml"
HASH_BASED_UNCHECKED = 0b01  # PEP 552 flags: hash-based, source not checked
# In a fresh interpreter, serve one message with the asset's own handler (registry with a
# `url` channel on a closed local port: the policy runs, delivery fails fast with 502).
SERVE_ONE = """
import json, os, sys, tempfile
sys.path.insert(0, sys.argv[1])
registry = os.path.join(tempfile.mkdtemp(), "registry.toml")
with open(registry, "w") as out:
    out.write('[teams.payments]\\nchannels = ["payments-alerts"]\\n'
              '[channels.payments-alerts]\\nurl = "http://127.0.0.1:9/hook"\\n')
os.environ["SLACKGATE_CONFIG"] = registry
from relay import handler
caller = "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn"
text = "key AKIA" + "Q3EGRT5EXAMPLEZ7"
blocked = {"body": json.dumps({"channel": "payments-alerts", "text": text}),
           "requestContext": {"identity": {"userArn": caller}}}
sys.stdout = open(os.devnull, "w")
response = handler.handler(blocked, None)
sys.stdout = sys.__stdout__
from relay import keywords
shipped = keywords.shipped_layout() is not None
print(json.dumps([response["statusCode"], handler.__file__, handler.__cached__, shipped]))
"""


def pyc_of(module: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(module)))


def sabotaged_copy(asset: Path, destination: Path) -> Path:
    """The asset copied, every source replaced by a module that raises, then made read-only."""
    shutil.copytree(asset, destination)
    for module in destination.rglob("*.py"):
        module.write_text("raise ImportError('the source was compiled instead of the .pyc')\n")
    for path in [destination, *destination.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return destination


def serve_one(asset: Path) -> list[object]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONHOME"}
    }
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", SERVE_ONE, str(asset)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_bytecode_for_every_module(package: Path) -> None:
    modules = sorted(package.rglob("*.py"))
    assert modules, f"no modules in {package}"
    for module in modules:
        header = pyc_of(module).read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, module
        assert int.from_bytes(header[4:8], "little") == HASH_BASED_UNCHECKED, module
        assert header[8:16] == importlib.util.source_hash(module.read_bytes()), module


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage_relay_code(REGISTRY, tmp_path_factory.mktemp("staged"))


def test_every_module_has_unchecked_hash_bytecode_of_this_python(staged: Path) -> None:
    assert_bytecode_for_every_module(staged / "relay")
    # Nothing but the package's files and their bytecode: no stale or foreign caches.
    caches = {p.name for p in (staged / "relay").rglob("*.pyc")}
    tag = sys.implementation.cache_tag
    assert all(name.endswith(f".{tag}.pyc") for name in caches)
    assert len(caches) == len(list((staged / "relay").rglob("*.py")))


def test_the_bytecode_is_what_runs(staged: Path, tmp_path: Path) -> None:
    status, source, cached, shipped_layout = serve_one(sabotaged_copy(staged, tmp_path / "task"))
    assert status == 422  # the real policy ran and blocked the key
    assert source.endswith("relay/handler.py")
    assert cached == str(pyc_of(Path(source)))
    assert shipped_layout  # the keyword layout came from the asset, not laid out again


def test_the_asset_holds_the_keyword_layout_of_its_rules(staged: Path) -> None:
    from shared_gateway.relay import keywords

    shipped = staged / "relay" / f"{keywords.LAYOUT_MODULE}.py"
    assert shipped.read_text(encoding="utf-8") == keywords.layout_module_source()
    assert not (RELAY_SOURCE / shipped.name).exists()  # generated into the asset only


def test_bytecode_names_the_files_where_lambda_puts_them(staged: Path) -> None:
    import marshal

    code = marshal.loads(pyc_of(staged / "relay" / "handler.py").read_bytes()[16:])
    assert code.co_filename == "/var/task/relay/handler.py"  # tracebacks point at the asset


def test_staging_is_reproducible(staged: Path, tmp_path: Path) -> None:
    again = stage_relay_code(REGISTRY, tmp_path)
    for pyc in (staged / "relay").rglob("*.pyc"):
        assert (again / pyc.relative_to(staged)).read_bytes() == pyc.read_bytes(), pyc


def test_staging_replaces_an_earlier_package(staged: Path, tmp_path: Path) -> None:
    stale = tmp_path / "relay" / "removed_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("x = 1\n")
    stage_relay_code(REGISTRY, tmp_path)
    assert not stale.exists()


@pytest.mark.parametrize("version", LAMBDA_PYTHONS)
def test_runtime_is_the_bundling_python(version: tuple[int, int]) -> None:
    assert relay_runtime_name(version) == "python{}.{}".format(*version)
    assert relay_runtime_name() == "python{}.{}".format(*sys.version_info[:2])


@pytest.mark.parametrize("version", [(3, 10), (3, 15), (2, 7)])
def test_a_python_without_a_lambda_runtime_stops_synthesis(version: tuple[int, int]) -> None:
    with pytest.raises(BundlingPythonError) as caught:
        relay_runtime_name(version)
    message = str(caught.value)
    assert "Python {}.{}".format(*version) in message
    assert "3.11, 3.12, 3.13, 3.14" in message
    assert "venv" in message  # says how to fix it


@pytest.mark.slow
def test_the_synthesized_asset_runs_its_bytecode_on_its_runtime(
    gateway: Synthesized, tmp_path: Path
) -> None:
    (function,) = [
        f["Properties"]
        for f in gateway.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "relay.handler.handler"
    ]
    assert function["Runtime"] == "python{}.{}".format(*sys.version_info[:2])
    asset = gateway.outdir / ("asset." + function["Code"]["S3Key"].removesuffix(".zip"))
    assert_bytecode_for_every_module(asset / "relay")
    status, _, _, shipped_layout = serve_one(sabotaged_copy(asset, tmp_path / "task"))
    assert (status, shipped_layout) == (422, True)
