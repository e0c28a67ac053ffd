"""cdk-nag wiring: the rule packs, and acknowledgements that always carry a reason.

cdk-nag 3.x reads acknowledgements from CDK's own `Validations.of(scope).acknowledge`;
an acknowledgement covers the construct it is made on and everything below it.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, reason: str, *rule_ids: str) -> None:
    """Acknowledges `rule_ids` on `scope` (and its children), with the reason why."""
    if len(reason.strip()) < 20:
        raise ValueError("an acknowledgement needs a real reason")
    Validations.of(scope).acknowledge(*(Acknowledgment(id=r, reason=reason) for r in rule_ids))


def add_nag_checks(app: App) -> None:
    """AWS Solutions and NIST 800-53 rev 5: synthesis fails on any unacknowledged finding."""
    # Imported here: loading cdk-nag's assembly into the jsii kernel costs about a second.
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
