"""A baked repository's `make fmt`, and the environment its cdk commands run in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

RUFF = Path(sys.executable).parent / "ruff"


def ready_environment(project: Path) -> None:
    """.venv as `make setup` leaves it, made of this interpreter and this ruff, and
    node_modules as npm install leaves it: make then installs nothing."""
    bin_dir = project / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "ruff").symlink_to(RUFF)
    later = time.time() + 86400
    for directory in (".venv", "node_modules"):
        stamp = project / directory / ".installed-stamp"
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
        os.utime(stamp, (later, later))


def make(project: Path, target: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path or os.environ["PATH"]}
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def project(bake) -> Path:
    result = bake()
    assert result.exit_code == 0, result.exception
    ready_environment(result.project_path)
    return result.project_path


def test_make_fmt_fixes_and_formats(project: Path) -> None:
    module = project / "src" / "payments_nightly_report" / "extra.py"
    module.write_text("import sys\nimport os\ndef f( x ):\n  return os.sep+sys.platform+x\n")

    fmt = make(project, "fmt")

    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    assert module.read_text() == (
        "import os\nimport sys\n\n\ndef f(x):\n    return os.sep + sys.platform + x\n"
    )
    for check in (["check", "."], ["format", "--check", "."]):
        assert subprocess.run([str(RUFF), *check], cwd=project, check=False).returncode == 0


def test_make_fmt_fails_on_what_only_a_person_can_fix(project: Path) -> None:
    module = project / "src" / "payments_nightly_report" / "extra.py"
    module.write_text("def f( ):\n  l = 1\n  return l\n")  # E741: an ambiguous name

    fmt = make(project, "fmt")

    assert fmt.returncode != 0
    assert "E741" in fmt.stdout + fmt.stderr
    assert module.read_text() == "def f():\n    l = 1\n    return l\n"  # formatted all the same


def test_cdk_runs_without_the_node_end_of_support_notices(project: Path, tmp_path: Path) -> None:
    # A stand-in for npx that records what cdk would see of the two settings.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "npx.env"
    npx = bin_dir / "npx"
    npx.write_text(
        "#!/bin/sh\n"
        f'echo "$* jsii=$JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION '
        f'sdk=$AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED" > "{record}"\n'
    )
    npx.chmod(0o755)

    diff = make(project, "diff", path=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert record.read_text().split() == [
        "--no-install",
        "cdk",
        "diff",
        "--no-notices",
        "jsii=20",
        "sdk=true",
    ]
