"""The function can reach the relay and nothing else: checked on the synthesized template.

The gateway's network (isolated subnets, a security group that only reaches the relay's
endpoint) does the confining; these tests make sure this stack puts the function in it,
adds no way around it, and gives the role nothing beyond logs, VPC access and the resources
declared in infra/settings.py (those grants are checked in test_data_access.py).
"""

from __future__ import annotations

from typing import Any

from infra.settings import SETTINGS

ALLOWED_RESOURCE_TYPES = {
    "AWS::CloudWatch::Alarm",
    "AWS::Events::Rule",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
ENI_ACTIONS = {
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
}
# POST /v1/messages on stage prod of the API whose id and account the gateway publishes.
RELAY_ROUTE_ARN = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":execute-api:",
            {"Ref": "AWS::Region"},
            ":",
            {"Ref": "SlackgateApiAccount"},
            ":",
            {"Ref": "SlackgateApiId"},
            "/prod/POST/v1/messages",
        ],
    ]
}
QUEUE_ACTIONS = {
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_function_runs_in_the_published_subnets_with_the_published_group(synthesis) -> None:
    function = synthesis.only("AWS::Lambda::Function")["Properties"]
    assert function["VpcConfig"] == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": [{"Ref": "SecurityGroupId"}],
    }
    parameters = synthesis.template["Parameters"]
    prefix = SETTINGS.ssm_prefix
    assert parameters["SubnetIds"]["Type"] == (
        "AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>"
    )
    assert parameters["SubnetIds"]["Default"] == f"{prefix}/network/subnet-ids"
    assert parameters["SecurityGroupId"]["Type"] == (
        "AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>"
    )
    assert parameters["SecurityGroupId"]["Default"] == f"{prefix}/network/function-sg-id"
    assert parameters["VpcId"] == {
        "Type": "AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>",
        "Default": f"{prefix}/network/vpc-id",
        "Description": parameters["VpcId"]["Description"],
    }


def test_the_relay_url_comes_from_the_published_parameter(synthesis) -> None:
    function = synthesis.only("AWS::Lambda::Function")["Properties"]
    assert function["Environment"]["Variables"]["SLACKGATE_URL"] == {"Ref": "SlackgateUrl"}
    assert synthesis.template["Parameters"]["SlackgateUrl"]["Type"] == (
        "AWS::SSM::Parameter::Value<String>"
    )
    assert synthesis.template["Parameters"]["SlackgateUrl"]["Default"] == (
        f"{SETTINGS.ssm_prefix}/api/url"
    )


def test_the_stack_creates_no_network_and_no_entry_point(synthesis) -> None:
    types = {resource["Type"] for resource in synthesis.template["Resources"].values()}
    # No VPC, subnet, security group, endpoint, gateway, NAT, function URL or API.
    assert not {t for t in types if t.startswith(("AWS::EC2::", "AWS::ApiGateway"))}
    assert "AWS::Lambda::Url" not in types
    assert types <= ALLOWED_RESOURCE_TYPES, f"unexpected: {types - ALLOWED_RESOURCE_TYPES}"
    assert len(synthesis.resources("AWS::Lambda::Function")) == 1


def test_only_the_trigger_may_invoke_the_function(synthesis) -> None:
    for permission in synthesis.resources("AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        assert properties["Action"] == "lambda:InvokeFunction"
        assert properties["Principal"] == "events.amazonaws.com"
        assert "SourceArn" in properties
        assert "FunctionUrlAuthType" not in properties


def test_the_role_grants_nothing_beyond_logs_vpc_access_and_declared_data(synthesis) -> None:
    role = synthesis.only("AWS::IAM::Role")["Properties"]
    assert role["RoleName"] == SETTINGS.role_name
    assert "Policies" not in role  # no inline policies
    assert "AWS::IAM::Policy" not in {r["Type"] for r in synthesis.template["Resources"].values()}
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    policies = synthesis.resources("AWS::IAM::ManagedPolicy")
    assert role["ManagedPolicyArns"] == [{"Ref": logical_id} for logical_id in policies]

    [log_group_id] = synthesis.resources("AWS::Logs::LogGroup")
    queue_arns = [
        {"Fn::GetAtt": [logical_id, "Arn"]}
        for logical_id, queue in synthesis.resources("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue["Properties"]
    ]
    for logical_id, policy in policies.items():
        if logical_id.startswith("DataAccessPolicy"):
            assert SETTINGS.data_access, "a data policy without declared resources"
            continue  # exactly the declared resources: test_data_access.py
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert "NotAction" not in statement and "NotResource" not in statement
            actions = set(as_list(statement["Action"]))
            resources = as_list(statement["Resource"])
            if actions <= LOG_ACTIONS:
                assert resources == [{"Fn::GetAtt": [log_group_id, "Arn"]}]
            elif actions <= ENI_ACTIONS:
                assert resources == ["*"]
            elif actions <= QUEUE_ACTIONS:
                assert resources and all(resource in queue_arns for resource in resources)
            elif actions == {"execute-api:Invoke"}:
                assert resources == [RELAY_ROUTE_ARN]  # the relay's route only
            else:
                raise AssertionError(f"the role may not do {sorted(actions)}")


def test_the_function_is_named_and_tagged_for_the_audit(synthesis) -> None:
    function = synthesis.only("AWS::Lambda::Function")["Properties"]
    assert function["FunctionName"] == SETTINGS.role_name
    tags = {tag["Key"]: tag["Value"] for tag in function["Tags"]}
    assert tags["slackgate:team"] == SETTINGS.team
    assert function["Runtime"] == f"python{SETTINGS.python_version}"
    assert function["Handler"] == SETTINGS.handler


def test_logs_are_kept_for_a_limited_time_and_failures_alarm(synthesis) -> None:
    assert synthesis.only("AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 90
    alarms = synthesis.resources("AWS::CloudWatch::Alarm").values()
    assert any(alarm["Properties"].get("MetricName") == "Errors" for alarm in alarms)
