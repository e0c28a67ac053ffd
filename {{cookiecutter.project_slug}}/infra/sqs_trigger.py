"""The SQS queue that feeds the function, with a dead-letter queue for what keeps failing."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .compliance import ALARM_ACTION_REASON, NIST, acknowledge

MAX_RECEIVE_COUNT = 3
BATCH_SIZE = 10
# The CONSUME permissions the event source mapping needs, on this queue only.
CONSUME_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
)


def add_sqs_trigger(
    scope: Construct,
    function: lambda_.IFunction,
    policy: iam.ManagedPolicy,
    function_timeout: Duration,
) -> sqs.Queue:
    dead_letters = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    queue = sqs.Queue(
        scope,
        "Queue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        # AWS advises six times the function timeout, so a batch is not handed out twice.
        visibility_timeout=Duration.seconds(function_timeout.to_seconds() * 6),
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letters, max_receive_count=MAX_RECEIVE_COUNT
        ),
    )
    # Granted through the function's managed policy, not `queue.grant_*` (which would add
    # an inline policy to the role).
    policy.add_statements(
        iam.PolicyStatement(actions=list(CONSUME_ACTIONS), resources=[queue.queue_arn])
    )
    lambda_.EventSourceMapping(
        scope,
        "QueueMapping",
        target=function,
        event_source_arn=queue.queue_arn,
        batch_size=BATCH_SIZE,
        report_batch_item_failures=True,
    )
    alarm = cloudwatch.Alarm(
        scope,
        "DeadLettersAlarm",
        alarm_description="Messages the function could not handle are waiting in the DLQ.",
        metric=dead_letters.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5)
        ),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    acknowledge(alarm, {f"{NIST}-CloudWatchAlarmAction": ALARM_ACTION_REASON})
    return queue
