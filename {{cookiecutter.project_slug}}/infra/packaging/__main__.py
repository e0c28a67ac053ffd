"""`make synth`: synthesizes the app (as app.py does) into OUTDIR, then says what it wrote.

    python -m infra.packaging [OUTDIR]       # default cdk.out

A packaging problem (a dependency without a wheel for Lambda, an asset over Lambda's
limit) is printed as its message alone, without a traceback, and the exit status is 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import PackagingError, megabytes, staged_assets
from .asset import LAMBDA_UNZIPPED_LIMIT, tree_size


def summary(outdir: Path, stack_name: str) -> list[str]:
    template = outdir / f"{stack_name}.template.json"
    lines = [f"stack     {stack_name}", f"template  {template}"]
    for directory, marker in staged_assets(outdir).items():
        lines.append(
            f"asset     {directory}  {megabytes(tree_size(directory))} unzipped "
            f"(Lambda allows {megabytes(LAMBDA_UNZIPPED_LIMIT)}), for {marker['target']}"
        )
        bundled = marker.get("bundled") or {}
        assert isinstance(bundled, dict)
        lines.append(
            "bundled   "
            + (
                ", ".join(f"{name} {version}" for name, version in bundled.items())
                or "nothing beyond src/ ([project] dependencies is empty)"
            )
        )
        if marker.get("removed"):
            left = ", ".join(marker["removed"])  # type: ignore[arg-type]
            lines.append(f"runtime   {left}: in the Lambda runtime, not bundled")
    return lines


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdk.out")
    from infra import build_app
    from infra.settings import SETTINGS

    try:
        build_app(outdir=str(outdir)).synth()
    except PackagingError as error:
        print(f"slackgate: {error}", file=sys.stderr)
        return 1
    print("\n".join(summary(outdir, SETTINGS.stack_name)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
