"""How long the template takes: one bake, the baked project's tests, and its synthesis.

    .venv/bin/python bench/bake_time.py [--runs N]

Targets: a bake in at most 0.5 s; the baked project's own test suite in at most 60 s; its
synthesis (`python app.py`, as the CDK CLI runs it) at most 1.2 times that of a bare CDK
app with one inline function, both measured side by side in this run, alternating. The
synthesis with the cdk-nag packs on (as `make synth` and `make deploy` run it) is measured
and printed alongside, for information.

Synthesis is compared on CPU time (user + system, of the process and the Node.js runtime
it starts), best of the runs: on a shared machine, wall time mostly measures what else is
running. Wall times are printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[1]
TARGET_BAKE_SECONDS = 0.5
TARGET_TESTS_SECONDS = 60.0
TARGET_SYNTH_RATIO = 1.2

BARE_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App()
    stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n"),
    )
    app.synth()
    """
)


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `command` and everything it waited for."""
    cpu_before = children_cpu()
    wall = timed(lambda: run(command, cwd, env))
    return wall, children_cpu() - cpu_before


def run(command: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions for bake and synth")
    args = parser.parse_args()
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("SLACKGATE_COMPLIANCE_CHECKS", None)  # the plain synthesis is the default one

    with tempfile.TemporaryDirectory(prefix="slackgate-bench-") as scratch:
        work = Path(scratch)
        bake_times = []
        for number in range(args.runs):
            output = work / f"bake{number}"

            def bake(output: Path = output) -> None:
                cookiecutter(str(ROOT), no_input=True, output_dir=str(output))

            bake_times.append(timed(bake))
        project = work / "bake0" / "payments-nightly-report"

        tests_seconds = timed(
            lambda: run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project, env
            )
        )

        bare = work / "bare"
        bare.mkdir()
        (bare / "app.py").write_text(BARE_APP)
        baked_synth, checked_synth, bare_synth = [], [], []
        for number in range(args.runs):  # alternate, so all see the same machine load
            baked_env = {**env, "CDK_OUTDIR": str(work / f"baked-out{number}")}
            checked_env = {
                **env,
                "CDK_OUTDIR": str(work / f"checked-out{number}"),
                "SLACKGATE_COMPLIANCE_CHECKS": "1",
            }
            bare_env = {**env, "CDK_OUTDIR": str(work / f"bare-out{number}")}
            synth = [sys.executable, "app.py"]
            baked_synth.append(timed_process(synth, project, baked_env))
            bare_synth.append(timed_process(synth, bare, bare_env))
            checked_synth.append(timed_process(synth, project, checked_env))

    bake_median = statistics.median(bake_times)
    bake_ok = bake_median <= TARGET_BAKE_SECONDS
    tests_ok = tests_seconds <= TARGET_TESTS_SECONDS

    def cpu(runs: list[tuple[float, float]]) -> float:
        return min(cpu_seconds for _, cpu_seconds in runs)

    def wall(runs: list[tuple[float, float]]) -> float:
        return statistics.median(wall_seconds for wall_seconds, _ in runs)

    ratio = cpu(baked_synth) / cpu(bare_synth)
    synth_ok = ratio <= TARGET_SYNTH_RATIO

    def verdict(ok: bool) -> str:
        return "ok" if ok else "OVER"

    print(f"bakes: {', '.join(f'{t:.3f}' for t in bake_times)} s")
    print(
        f"bake, median                     {bake_median:7.3f} s   target <= "
        f"{TARGET_BAKE_SECONDS} s   {verdict(bake_ok)}"
    )
    print(
        f"baked project's test suite       {tests_seconds:7.3f} s   target <= "
        f"{TARGET_TESTS_SECONDS:.0f} s    {verdict(tests_ok)}"
    )
    print("synthesis                        CPU (best)   wall (median)")
    for name, runs in (
        ("bare app, one inline function", bare_synth),
        ("baked stack (python app.py)", baked_synth),
        ("baked stack with cdk-nag", checked_synth),
    ):
        print(f"  {name:30} {cpu(runs):7.2f} s    {wall(runs):7.2f} s")
    print(
        f"synthesis ratio baked/bare (CPU) {ratio:7.2f} x   target <= "
        f"{TARGET_SYNTH_RATIO} x  {verdict(synth_ok)}"
    )
    print(f"  wall-time ratio (medians)      {wall(baked_synth) / wall(bare_synth):7.2f} x")
    print(
        f"  with cdk-nag (CPU)             {cpu(checked_synth) / cpu(bare_synth):7.2f} x "
        "(information)"
    )
    return 0 if bake_ok and tests_ok and synth_ok else 1


if __name__ == "__main__":
    sys.exit(main())
