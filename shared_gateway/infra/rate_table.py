"""The table behind the relay's shared per-team rate limit (relay/shared_ratelimit.py).

One item per team per minute, `<team>#<minute start>` with a count, written only by the
relay (one conditional UpdateItem per message of a rate-limited team) and expired by
DynamoDB's TTL. On-demand billing: the load follows the messages and is tiny (at most the
stage throttle's 50 writes a second). Encrypted with the gateway key like everything else
of the gateway. No point-in-time recovery or backups: the counts are worth nothing after
their minute, and a table restored or lost starts every team's minute afresh.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from ..relay.shared_ratelimit import EXPIRES, PARTITION_KEY


class RateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            time_to_live_attribute=EXPIRES,
            # Counters of the current minute only: nothing to keep when the stack goes.
            removal_policy=RemovalPolicy.DESTROY,
        )
