"""Synthesis time of the shared gateway app next to a bare CDK app with one inline function.

    .venv/bin/python bench/synth_time.py [--repetitions 5] [--nag]

Each synthesis runs in a fresh Python process (imports, the jsii Node.js kernel and the
synthesis itself are all counted, as they are for `cdk synth`), alternating between the
two apps in the same run so that both see the same machine load. Prints both medians
and their ratio; the target is a ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3

GATEWAY_APP = """
import json, sys
from shared_gateway.infra import build_app
context = json.loads(open(sys.argv[1]).read())["context"]
context["slackgate:nag"] = "nag" in sys.argv[3]
app, _ = build_app(context, outdir=sys.argv[2], builtin_validation="validate" in sys.argv[3])
app.synth()
"""

BARE_APP = """
import sys
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
app = cdk.App(outdir=sys.argv[2], builtin_cloud_formation_validation="validate" in sys.argv[3])
stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="123456789012", region="eu-west-1"))
lambda_.Function(
    stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
    code=lambda_.Code.from_inline("def handler(event, context):\\n    return None\\n"),
)
app.synth()
"""


def time_once(source: str, mode: str = "plain") -> float:
    with tempfile.TemporaryDirectory(prefix="slackgate-synth-") as outdir:
        command = [
            sys.executable,
            "-c",
            source,
            str(REPO / "shared_gateway" / "cdk.json"),
            outdir,
            mode,
        ]
        env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        started = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--nag", action="store_true", help="run cdk-nag in the gateway app")
    parser.add_argument(
        "--builtin-validation",
        action="store_true",
        help="keep CDK's built-in template validator on in the gateway app (off by default "
        "there; the bare app always has it, as CDK's default)",
    )
    parser.add_argument(
        "--like-for-like",
        action="store_true",
        help="turn the built-in validator off in the bare app too",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)

    mode = "+".join(["plain"] + ["nag"] * args.nag + ["validate"] * args.builtin_validation)
    bare_mode = "plain" if args.like_for_like else "validate"  # CDK's default: validator on
    time_once(BARE_APP, bare_mode)  # warm the file cache once; not counted
    bare: list[float] = []
    gateway: list[float] = []
    for _ in range(args.repetitions):
        bare.append(time_once(BARE_APP, bare_mode))
        gateway.append(time_once(GATEWAY_APP, mode))
    bare_median, gateway_median = statistics.median(bare), statistics.median(gateway)
    ratio = gateway_median / bare_median
    figures = {
        "repetitions": args.repetitions,
        "nag": args.nag,
        "builtin_validation": args.builtin_validation,
        "like_for_like": args.like_for_like,
        "bare_median_s": round(bare_median, 2),
        "gateway_median_s": round(gateway_median, 2),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        bare_label = "bare app, one inline function" + (
            " (validator off)" if args.like_for_like else ""
        )
        gateway_label = (
            "gateway app"
            + " + cdk-nag" * args.nag
            + (" + validator" if args.builtin_validation else "")
        )
        width = max(len(bare_label), len(gateway_label)) + 1
        print(f"{bare_label + ':':{width}} median {bare_median:.2f} s  {_runs(bare)}")
        print(f"{gateway_label + ':':{width}} median {gateway_median:.2f} s  {_runs(gateway)}")
        verdict = "within" if ratio <= TARGET_RATIO else "ABOVE"
        print(f"ratio {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0


def _runs(samples: list[float]) -> str:
    return "[" + ", ".join(f"{s:.2f}" for s in samples) + "]"


if __name__ == "__main__":
    sys.exit(main())
