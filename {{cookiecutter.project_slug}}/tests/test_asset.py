"""The function's code as Lambda receives it.

Synthesis builds the asset from src/ and `[project] dependencies` (installed for Lambda's
platform). Here the handler is imported from that asset the way Lambda imports it: in a
fresh interpreter with only the standard library and the packages the Lambda runtime has
(boto3, botocore and theirs). A module your code imports that the asset lacks fails here,
not in production; the fix is to add its distribution to `[project] dependencies`.
"""

from __future__ import annotations

from pathlib import Path

from infra.packaging import ARCHITECTURE, build_asset, import_problem
from infra.settings import SETTINGS, SOURCE_DIR


def test_the_handler_imports_from_the_built_asset(tmp_path: Path) -> None:
    asset = build_asset(SOURCE_DIR, SETTINGS.python_version, ARCHITECTURE)

    problem = import_problem(
        asset.path, SETTINGS.handler, SETTINGS.python_version, ARCHITECTURE, tmp_path
    )

    assert problem is None, problem


def test_the_asset_is_built_for_the_function_architecture(synthesis) -> None:
    function = synthesis.only("AWS::Lambda::Function")["Properties"]
    assert function["Architectures"] == [ARCHITECTURE]
    assert function["Runtime"] == f"python{SETTINGS.python_version}"
