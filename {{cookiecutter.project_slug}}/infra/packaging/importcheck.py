"""Imports the handler from the built asset the way Lambda would, in a fresh interpreter.

`import_problem` (in the test process) starts `python -I -S -B` on this file: no site-packages,
no PYTHONPATH, no current directory. Its path is the asset, then the packages the Lambda
runtime provides (boto3, botocore and theirs, linked from this environment), then the
standard library. So a module the code imports but the asset lacks fails here.

The asset's compiled modules are built for Lambda (Linux, the runtime's Python, arm64).
When this machine is not that platform they cannot load here; the child then loads this
machine's build of the same module from the project's environment instead, at the same
place in the same package, and only when the asset holds the Lambda build. A compiled
module missing from the asset still fails.

The part below `if __name__ == "__main__"` uses the standard library only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
import traceback
from pathlib import Path
from types import ModuleType

# Installed in every Lambda Python runtime; as importable names.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
FIX = (
    "A module the code imports is not in the asset: add the distribution that provides it "
    "to [project] dependencies in pyproject.toml. The Lambda runtime itself has only the "
    "standard library and " + ", ".join(RUNTIME_MODULES) + "."
)


def import_problem(
    asset_dir: Path, handler: str, python_version: str, architecture: str, scratch: Path
) -> str | None:
    """None when `handler` ("package.module.function") imports from the asset; else why."""
    runtime = scratch / "lambda-runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        location = origin.parent if spec.submodule_search_locations else origin
        link = runtime / location.name
        if not link.exists():
            link.symlink_to(location, target_is_directory=location.is_dir())
    request = {
        "asset": str(asset_dir.resolve()),
        "runtime": str(runtime),
        "handler": handler,
        "native": runs_lambda_binaries(python_version, architecture),
        "host_sites": sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}),
    }
    result = subprocess.run(
        # -B: no bytecode written into the asset, which is what Lambda gets.
        [sys.executable, "-I", "-S", "-B", str(Path(__file__).resolve()), json.dumps(request)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr[-2000:]).strip()


def runs_lambda_binaries(python_version: str, architecture: str) -> bool:
    machine = {"arm64": ("aarch64", "arm64"), "x86_64": ("x86_64", "amd64")}[architecture]
    return (
        sys.platform == "linux"
        and platform.machine().lower() in machine
        and f"{sys.version_info.major}.{sys.version_info.minor}" == python_version
    )


class HostBuildsOfLambdaBinaries(importlib.abc.MetaPathFinder):
    """For a compiled module the asset holds, this machine's build of it, or a clear error."""

    def __init__(self, asset: str, host_sites: list[str]) -> None:
        self.asset = asset
        self.host_sites = host_sites

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        leaf = fullname.rpartition(".")[2]
        binary = re.compile(re.escape(leaf) + r"(\.[\w-]+)?\.so")
        for entry in path if path is not None else sys.path:  # type: ignore[union-attr]
            entry = str(entry)
            if not (entry == self.asset or entry.startswith(self.asset + os.sep)):
                continue
            try:
                names = os.listdir(entry)
            except OSError:
                continue
            lambda_builds = [name for name in names if binary.fullmatch(name)]
            if lambda_builds:
                return self._host_build(fullname, leaf, entry, lambda_builds[0])
        return None

    def _host_build(
        self, fullname: str, leaf: str, entry: str, lambda_build: str
    ) -> importlib.machinery.ModuleSpec:
        relative = os.path.relpath(entry, self.asset)
        wanted = owner(self.asset, os.path.join(relative, lambda_build))
        for site in self.host_sites:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                candidate = os.path.normpath(os.path.join(site, relative, leaf + suffix))
                if not os.path.isfile(candidate):
                    continue
                found = owner(site, os.path.relpath(candidate, site))
                if wanted and found and wanted != found:
                    raise ImportError(
                        f"{fullname} is in the asset from {' '.join(wanted)}, compiled for "
                        f"Lambda; this machine's build of it is {' '.join(found)}, so it cannot "
                        "stand in. Pin the version (==) in [project] dependencies and run "
                        "`make setup`, so that .venv and the asset hold the same",
                        name=fullname,
                    )
                loader = importlib.machinery.ExtensionFileLoader(fullname, candidate)
                return importlib.util.spec_from_file_location(fullname, candidate, loader=loader)
        raise ImportError(
            f"{fullname} is in the asset, compiled for Lambda ({lambda_build}), and this "
            "machine cannot load that build; no build of it for this machine was found in "
            "the project's environment to stand in (run `make setup`)",
            name=fullname,
        )


def owner(site: str, relative_file: str) -> tuple[str, str] | None:
    """(distribution, version) whose RECORD lists `relative_file`, from its dist-info name."""
    wanted = relative_file.replace(os.sep, "/")
    for name in os.listdir(site):
        if not name.endswith(".dist-info"):
            continue
        try:
            with open(os.path.join(site, name, "RECORD"), encoding="utf-8") as record:
                if any(line.split(",", 1)[0] == wanted for line in record):
                    distribution, _, version = name.removesuffix(".dist-info").rpartition("-")
                    return distribution.replace("_", "-").lower(), version
        except OSError:
            continue
    return None


def check(request: dict[str, object]) -> str | None:
    asset, runtime = str(request["asset"]), str(request["runtime"])
    sys.path[:0] = [asset, runtime]
    if not request["native"]:
        sys.meta_path.insert(0, HostBuildsOfLambdaBinaries(asset, list(request["host_sites"])))
    module_name, _, attribute = str(request["handler"]).rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except BaseException as error:  # whatever Lambda would report as Runtime.ImportModuleError
        frames = traceback.extract_tb(error.__traceback__)[-3:]
        where = "".join(traceback.format_list(frames))
        fix = f"\n{FIX}" if isinstance(error, ModuleNotFoundError) else ""
        return (
            f"the handler {request['handler']} does not import from the built asset "
            f"({asset}), as Lambda would import it:\n  {type(error).__name__}: {error}\n"
            f"{where}{fix}"
        )
    if not str(getattr(module, "__file__", "")).startswith(asset + os.sep):
        return f"{module_name} was not imported from the asset but from {module.__file__}"
    if not callable(getattr(module, attribute, None)):
        return f"{module_name} has no function {attribute}: Lambda could not call the handler"
    return None


if __name__ == "__main__":
    problem = check(json.loads(sys.argv[1]))
    if problem:
        print(problem)
    sys.exit(1 if problem else 0)
