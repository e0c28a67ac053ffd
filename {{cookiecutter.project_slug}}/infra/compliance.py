"""cdk-nag rule packs (AWS Solutions, NIST 800-53 rev 5).

They run in the tests and in every `make synth` and `make deploy`
(SLACKGATE_COMPLIANCE_CHECKS=1); a finding stops them. The few findings that do not
apply are acknowledged next to the construct they are about, each with its reason, through
`acknowledge` below (cdk-nag 3 reads them from CDK's `Validations.of(construct)`).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions::AwsSolutions"
NIST = "NIST.800.53.R5::NIST.800.53.R5"
ALARM_ACTION_REASON = (
    "Where a team is alerted (an SNS topic, AWS Chatbot, a pager) is the team's choice; the "
    "alarm is there to subscribe to. It cannot post through slackgate itself."
)


def add_compliance_checks(app: App) -> None:
    # Imported here: loading cdk-nag into the CDK's runtime costs time unchecked runs skip.
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))


def acknowledge(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledges findings on `construct`: {rule id: why it does not apply}."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in reasons.items())
    )
