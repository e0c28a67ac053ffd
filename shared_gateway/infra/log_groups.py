"""Log groups: KMS-encrypted with the gateway key, with a fixed retention."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention_days(days: int) -> logs.RetentionDays:
    try:
        return RETENTION[days]
    except KeyError:
        raise ValueError(
            f"slackgate:logRetentionDays: {days} — use one of {sorted(RETENTION)}"
        ) from None


def encrypted_log_group(
    scope: Construct, construct_id: str, *, key: kms.IKey, retention: logs.RetentionDays
) -> logs.LogGroup:
    return logs.LogGroup(
        scope,
        construct_id,
        encryption_key=key,
        retention=retention,
        # Audit trail: keep the records if the stack is ever deleted.
        removal_policy=RemovalPolicy.RETAIN,
    )
