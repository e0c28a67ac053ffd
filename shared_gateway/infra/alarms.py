"""Alarms on the relay's own metrics (embedded metric format, namespace Slackgate)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

NAMESPACE = "Slackgate"
DIMENSIONS = {"Service": "relay"}
# metric name -> what a breach means
WATCHED = {
    "MessagesBlocked": "a message was blocked by the relay's checks (possible leak attempt)",
    "UpstreamErrors": "Slack did not accept a message (webhook revoked, missing or Slack down)",
}
CLOUDWATCH = "cloudwatch.amazonaws.com"


def alarm_source_conditions(stack: Stack) -> dict[str, Any]:
    """Conditions that admit the CloudWatch service only on behalf of this account's alarms in
    this region (the confused-deputy guard: another account's alarm cannot use our grants)."""
    alarms = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
    return {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {"aws:SourceArn": alarms},
    }


class RelayAlarms(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, email: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="slackgate relay alarms",
            master_key=key,
            enforce_ssl=True,  # topic policy denies publishing without TLS
        )
        # A topic policy replaces SNS's default one, and enforce_ssl's holds only the deny:
        # without this allow CloudWatch could not publish, and no alarm would ever notify.
        # (The key policy lets CloudWatch use the topic's key, key.py.)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=alarm_source_conditions(Stack.of(self)),
            )
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for metric_name, meaning in WATCHED.items():
            alarm = cloudwatch.Metric(
                namespace=NAMESPACE,
                metric_name=metric_name,
                dimensions_map=DIMENSIONS,
                statistic="Sum",
                period=Duration.minutes(5),
            ).create_alarm(
                self,
                metric_name,
                alarm_description=f"slackgate relay: {meaning}",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(actions.SnsAction(self.topic))
            alarm.add_ok_action(actions.SnsAction(self.topic))
            self.alarms[metric_name] = alarm
