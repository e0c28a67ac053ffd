"""The EventBridge schedule starts the function, with retries bounded."""

from __future__ import annotations

from infra.settings import SETTINGS


def test_the_schedule_invokes_the_function(synthesis) -> None:
    rule = synthesis.only("AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == SETTINGS.schedule_expression
    [function_id] = synthesis.resources("AWS::Lambda::Function")
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
