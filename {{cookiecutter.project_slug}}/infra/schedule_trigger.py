"""The EventBridge schedule that starts the function."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


def add_schedule_trigger(
    scope: Construct, function: lambda_.IFunction, expression: str
) -> events.Rule:
    rule = events.Rule(
        scope,
        "Schedule",
        schedule=events.Schedule.expression(expression),
        description=f"Starts the function: {expression} (UTC)",
    )
    # A late report is still useful for an hour; after that the next run supersedes it.
    rule.add_target(
        targets.LambdaFunction(function, retry_attempts=2, max_event_age=Duration.hours(1))
    )
    return rule
