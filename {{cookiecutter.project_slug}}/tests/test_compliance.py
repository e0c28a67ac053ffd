"""cdk-nag's AWS Solutions and NIST 800-53 rev 5 packs find nothing (LambdaInsideVPC
included); the few acknowledged findings carry their reasons in infra/."""

from __future__ import annotations


def test_the_stack_passes_the_compliance_checks(synthesis) -> None:
    violations = [
        f"{violation['ruleName']}: {construct['constructPath']}"
        for plugin in (synthesis.report or {}).get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
    assert synthesis.error is None, "\n".join(violations) or str(synthesis.error)
    assert violations == []
