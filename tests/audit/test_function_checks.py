"""What the guard rails cover, found by the audit when they are missing: resource policies,
async destinations and dead-letter targets, layers from other accounts, and roles that can
change their own function. Each check has a clean case (what the team template deploys) and
an escaping one, in moto; rules moto cannot model are tested on plain data.

moto 5.2.5 looks a layer up by its name in the caller's account, so a function cannot be
created with another account's layer ARN; `foreign_layer` writes it into moto's state of the
function (the audit reads it back through ListFunctions, as from AWS).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from shared_gateway.audit import collect as audit_collect
from shared_gateway.audit import function_checks as fc
from shared_gateway.audit.checks import Reason
from shared_gateway.audit.function_collect import policy_document
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

from .conftest import ACCOUNT_ID, REGION, Account

DOCS = Path(__file__).parents[2] / "docs" / "audit.md"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:nightly"
OUR_RULE = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/slackgate-payments-nightly-Schedule"
ROLE = "slackgate-payments-nightly"
# The team template's function policy (infra/stack.py): logs, ENIs, the relay's route.
TEMPLATE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:nightly:*",
        },
        {
            "Sid": "ManageVpcNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface",
            ],
            "Resource": "*",
        },
        {
            "Sid": "InvokeTheRelay",
            "Effect": "Allow",
            "Action": "execute-api:Invoke",
            "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abc123/prod/POST/v1/messages",
        },
    ],
}


def codes(reasons: list[Reason]) -> list[str]:
    return [r.code for r in reasons]


def schedule_permission(account: Account, name: str = "nightly") -> None:
    """What the template's schedule trigger adds (CDK's LambdaFunction target)."""
    account.lambda_.add_permission(
        FunctionName=name,
        StatementId="Schedule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=OUR_RULE,
    )


def template_role_policy(account: Account, role: str = ROLE) -> None:
    arn = account.iam.create_policy(
        PolicyName=f"{role}-function", PolicyDocument=json.dumps(TEMPLATE_POLICY)
    )["Policy"]["Arn"]
    account.iam.attach_role_policy(RoleName=role, PolicyArn=arn)


def deploy_like_the_template(account: Account) -> None:
    account.add_function("nightly")
    schedule_permission(account)
    template_role_policy(account)


# The template's own deployment is clean ------------------------------------------------


def test_what_the_template_deploys_is_confined(account: Account, run_audit: Any) -> None:
    deploy_like_the_template(account)
    # Retries without a destination are not a way out.
    account.lambda_.put_function_event_invoke_config(FunctionName="nightly", MaximumRetryAttempts=1)

    result = run_audit("--json")

    assert result.verdict("nightly")["reasons"] == []
    assert result.exit_code == 0


# Resource policy ---------------------------------------------------------------------------

OTHER_ROLE = f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/collector"
OUR_OTHER_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/someone"


@pytest.mark.parametrize(
    ("permission", "code"),
    [
        pytest.param({"Principal": OUTSIDE_ACCOUNT}, "function-policy-other-account", id="account"),
        pytest.param({"Principal": OTHER_ROLE}, "function-policy-other-account", id="their-role"),
        pytest.param(
            {"Principal": "*", "FunctionUrlAuthType": "NONE"}, "function-policy-anyone", id="any"
        ),
        pytest.param(
            {"Principal": "s3.amazonaws.com", "SourceAccount": ACCOUNT_ID},
            "function-policy-service",
            id="s3",
        ),
        pytest.param(
            {"Principal": "events.amazonaws.com"}, "function-policy-trigger-unscoped", id="events"
        ),
        pytest.param({"Principal": OUR_OTHER_ROLE}, "function-policy-principal", id="our-role"),
    ],
)
def test_a_resource_policy_beyond_the_trigger_escapes(
    account: Account, run_audit: Any, permission: dict[str, str], code: str
) -> None:
    deploy_like_the_template(account)
    account.lambda_.add_permission(
        FunctionName="nightly", StatementId="Extra", Action="lambda:InvokeFunction", **permission
    )

    result = run_audit("--json")

    assert result.codes("nightly") == [code]
    [reason] = result.verdict("nightly")["reasons"]
    assert "statement 'Extra'" in reason["message"]
    assert result.exit_code == 1


def test_an_eventbridge_grant_for_another_accounts_rule_escapes(
    account: Account, run_audit: Any
) -> None:
    deploy_like_the_template(account)
    account.lambda_.add_permission(
        FunctionName="nightly",
        StatementId="TheirRule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:{REGION}:{OUTSIDE_ACCOUNT}:rule/*",
    )

    result = run_audit("--json")

    assert result.codes("nightly") == ["function-policy-trigger-unscoped"]
    assert "a rule of another account" in result.verdict("nightly")["reasons"][0]["message"]


def exposure(**kwargs: Any) -> fc.FunctionExposure:
    return fc.FunctionExposure(name="nightly", arn=FUNCTION_ARN, **kwargs)


def policy(*statements: dict[str, Any], qualifier: str | None = None) -> fc.ResourcePolicy:
    return fc.ResourcePolicy(
        qualifier, json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    )


SCHEDULE_STATEMENT = {
    "Sid": "Schedule",
    "Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"},
    "Action": "lambda:InvokeFunction",
    "Resource": FUNCTION_ARN,
    "Condition": {"ArnLike": {"AWS:SourceArn": OUR_RULE}},
}


def test_a_statement_shown_under_several_qualifiers_is_reported_once_with_its_own() -> None:
    """GetPolicy of an alias shows the alias's statements; the same grant seen twice is one."""
    their = {
        "Sid": "Theirs",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"{FUNCTION_ARN}:prod",
    }
    found = fc.check_resource_policy(
        exposure(
            resource_policies=(
                policy(SCHEDULE_STATEMENT),
                policy(their, qualifier="prod"),
                policy(their, qualifier="1"),
            )
        )
    )
    assert codes(found) == ["function-policy-other-account"]
    assert found[0].message.startswith("resource policy statement 'Theirs' on prod lets")


def test_deny_statements_narrow_and_the_scoped_trigger_is_clean() -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "lambda:InvokeFunction",
        "Resource": FUNCTION_ARN,
    }
    assert (
        fc.check_resource_policy(exposure(resource_policies=(policy(SCHEDULE_STATEMENT, deny),)))
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction"}]}),
        json.dumps(
            {
                "Statement": [
                    {**SCHEDULE_STATEMENT, "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}}
                ]
            }
        ),
    ],
    ids=["not-json", "no-principal", "unsupported-condition"],
)
def test_an_unreadable_resource_policy_is_not_proven(text: str) -> None:
    found = fc.check_resource_policy(exposure(resource_policies=(fc.ResourcePolicy(None, text),)))
    assert codes(found) == ["function-policy-unreadable"]


# Async destinations and dead-letter targets ------------------------------------------------


@pytest.mark.parametrize("when", ["OnSuccess", "OnFailure"])
def test_an_async_destination_escapes(account: Account, run_audit: Any, when: str) -> None:
    deploy_like_the_template(account)
    topic = f"arn:aws:sns:{REGION}:{OUTSIDE_ACCOUNT}:collector"
    account.lambda_.put_function_event_invoke_config(
        FunctionName="nightly", DestinationConfig={when: {"Destination": topic}}
    )

    result = run_audit("--json")

    assert result.codes("nightly") == ["async-destination"]
    assert f"sends {when} invocation records to {topic}" in result.out
    assert result.exit_code == 1


def test_async_destinations_of_each_qualifier() -> None:
    found = fc.check_async_destinations(
        [
            fc.InvokeConfig(f"{FUNCTION_ARN}:$LATEST"),
            fc.InvokeConfig(f"{FUNCTION_ARN}:prod", on_success="arn:aws:sqs:r:1:q"),
        ]
    )
    assert codes(found) == ["async-destination"]
    assert found[0].message.startswith("async invoke configuration on prod sends OnSuccess")


def test_a_dead_letter_target_escapes(
    account: Account, run_audit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto 5.2.5 keeps no DeadLetterConfig: the shim adds it to ListFunctions' answer, in the
    shape Lambda returns it."""
    deploy_like_the_template(account)
    queue_arn = f"arn:aws:sqs:{REGION}:{OUTSIDE_ACCOUNT}:collector"
    listed = audit_collect.list_function_configurations

    def with_dead_letters(client: Any) -> dict[str, list[dict[str, Any]]]:
        found = listed(client)
        for cfg in found["nightly"]:
            cfg["DeadLetterConfig"] = {"TargetArn": queue_arn}
        return found

    monkeypatch.setattr(audit_collect, "list_function_configurations", with_dead_letters)

    result = run_audit("--json")

    assert result.codes("nightly") == ["dead-letter-target"]
    assert f"dead-letter target {queue_arn}" in result.out
    assert result.exit_code == 1


def test_a_dead_letter_target_of_published_versions_only_is_labelled() -> None:
    found = fc.check_dead_letters(
        [
            fc.VersionExtras("$LATEST"),
            fc.VersionExtras("1", dead_letter_target="arn:aws:sns:r:1:t"),
            fc.VersionExtras("2", dead_letter_target="arn:aws:sns:r:1:t"),
        ]
    )
    assert [r.message.split(":")[0] for r in found] == ["versions 1, 2"]


# Layers --------------------------------------------------------------------------------------


def foreign_layer(name: str, layer_arn: str) -> None:
    """moto cannot create a function with another account's layer (see the module docstring)."""
    from moto.awslambda.models import lambda_backends

    function = lambda_backends[ACCOUNT_ID][REGION].get_function(name)
    function.layers = [{"Arn": layer_arn, "CodeSize": 1}]


def test_a_layer_of_this_account_is_clean(account: Account, run_audit: Any) -> None:
    deploy_like_the_template(account)
    from .conftest import CODE

    layer = account.lambda_.publish_layer_version(LayerName="ours", Content={"ZipFile": CODE})
    account.lambda_.update_function_configuration(
        FunctionName="nightly", Layers=[layer["LayerVersionArn"]]
    )

    result = run_audit("--json")

    assert result.verdict("nightly")["reasons"] == []
    assert result.exit_code == 0


def test_a_layer_of_another_account_escapes(account: Account, run_audit: Any) -> None:
    deploy_like_the_template(account)
    layer = f"arn:aws:lambda:{REGION}:{OUTSIDE_ACCOUNT}:layer:helpful:7"
    foreign_layer("nightly", layer)

    result = run_audit("--json")

    assert result.codes("nightly") == ["layer-other-account"]
    assert f"layer {layer} belongs to account {OUTSIDE_ACCOUNT}" in result.out
    assert result.exit_code == 1


# The function's role -------------------------------------------------------------------------


def role_may(account: Account, action: str, resource: str, *, attach: bool = False) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Grant", "Effect": "Allow", "Action": action, "Resource": resource}
            ],
        }
    )
    if attach:
        arn = account.iam.create_policy(PolicyName="broad", PolicyDocument=document)["Policy"][
            "Arn"
        ]
        account.iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)
    else:
        account.iam.put_role_policy(RoleName=ROLE, PolicyName="extra", PolicyDocument=document)


@pytest.mark.parametrize(
    ("action", "resource", "attach", "expected"),
    [
        pytest.param(
            "lambda:UpdateFunctionConfiguration",
            "arn:aws:lambda:*:*:function:nightly",
            False,
            {"its own function": ["lambda:UpdateFunctionConfiguration"]},
            id="own-config-inline",
        ),
        pytest.param(
            "lambda:*",
            "*",
            True,
            {
                "its own function": list(fc.SELF_CHANGE_ACTIONS),
                "another slackgate-* function": list(fc.SELF_CHANGE_ACTIONS),
            },
            id="everything-attached",
        ),
        pytest.param(
            "lambda:UpdateFunctionCode",
            "arn:aws:lambda:*:*:function:slackgate-*",
            False,
            {"another slackgate-* function": ["lambda:UpdateFunctionCode"]},
            id="namespace-code",
        ),
        pytest.param(
            "lambda:CreateFunctionUrlConfig",
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:${{aws:PrincipalTag/slackgate:team}}*",
            False,
            {},
            id="variable-without-a-tag",
        ),
    ],
)
def test_a_role_that_can_change_its_function_escapes(
    account: Account,
    run_audit: Any,
    action: str,
    resource: str,
    attach: bool,
    expected: dict[str, list[str]],
) -> None:
    deploy_like_the_template(account)
    role_may(account, action, resource, attach=attach)

    result = run_audit("--json")

    messages = [r["message"] for r in result.verdict("nightly")["reasons"]]
    assert result.codes("nightly") == ["role-can-change-function"] * len(expected)
    for message, (what, actions) in zip(messages, expected.items(), strict=True):
        assert f"may {', '.join(actions)} on {what} (" in message
        assert ("attached" if attach else "inline extra") in message
    assert result.exit_code == (1 if expected else 0)


def test_the_roles_tags_are_read_for_policy_variables(account: Account, run_audit: Any) -> None:
    """A grant on slackgate-${aws:PrincipalTag/slackgate:team}-* covers the team's own
    functions: the audit evaluates it with the role's tags, as AWS does."""
    account.add_function(
        "slackgate-payments-nightly", role=ROLE, tags={"slackgate:team": "payments"}
    )
    account.iam.tag_role(RoleName=ROLE, Tags=[{"Key": "slackgate:team", "Value": "payments"}])
    role_may(
        account,
        "lambda:UpdateFunctionConfiguration",
        "arn:aws:lambda:*:*:function:slackgate-${aws:PrincipalTag/slackgate:team}-*",
    )

    result = run_audit("--json")

    assert result.codes("slackgate-payments-nightly") == ["role-can-change-function"]
    assert "on its own function" in result.out


def test_a_permissions_boundary_that_denies_it_is_clean(account: Account, run_audit: Any) -> None:
    deploy_like_the_template(account)
    role_may(account, "lambda:*", "*")
    boundary = account.iam.create_policy(
        PolicyName="boundary", PolicyDocument=json.dumps(TEMPLATE_POLICY)
    )["Policy"]["Arn"]
    account.iam.put_role_permissions_boundary(RoleName=ROLE, PermissionsBoundary=boundary)

    result = run_audit("--json")

    assert result.verdict("nightly")["reasons"] == []
    assert result.exit_code == 0


def test_a_role_policy_the_evaluator_cannot_read_is_not_proven() -> None:
    unreadable = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ],
    }
    role = fc.RolePolicies(
        arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE}",
        policies=(("inline odd", unreadable), ("attached ok", TEMPLATE_POLICY)),
    )
    found = fc.check_roles(exposure(roles=(role,)))
    assert codes(found) == ["role-policy-unreadable"]
    assert "policy inline odd cannot be evaluated" in found[0].message


def test_iam_documents_may_come_url_encoded() -> None:
    assert policy_document("%7B%22Version%22%3A%20%222012-10-17%22%7D") == {"Version": "2012-10-17"}
    assert policy_document({"Version": "2012-10-17"}) == {"Version": "2012-10-17"}


# Contract: codes, table, JSON, permissions -----------------------------------------------


def test_every_code_is_produced_documented_and_not_a_placement_code() -> None:
    from shared_gateway.audit.checks import REASON_CODES

    documentation = DOCS.read_text()
    missing = [c for c in fc.EXPOSURE_REASON_CODES if f"| `{c}` |" not in documentation]
    assert not missing, f"docs/audit.md does not list {missing}"
    assert not set(fc.EXPOSURE_REASON_CODES) & set(REASON_CODES)
    produced = set(re.findall(r'Reason\(\s*"([a-z-]+)"', Path(fc.__file__).read_text()))
    assert produced == set(fc.EXPOSURE_REASON_CODES)


def test_the_documented_permissions_cover_every_call(
    account: Account, run_audit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every API call the audit makes (recorded from botocore) is in docs/audit.md's policy."""
    calls: set[str] = set()
    session_init = boto3.Session.__init__

    def recording(self: boto3.Session, *args: Any, **kwargs: Any) -> None:
        session_init(self, *args, **kwargs)
        self.events.register(
            "before-call",
            lambda model, **_: calls.add(f"{model.service_model.signing_name}:{model.name}"),
        )

    monkeypatch.setattr(boto3.Session, "__init__", recording)
    deploy_like_the_template(account)
    account.lambda_.create_alias(FunctionName="nightly", Name="prod", FunctionVersion="$LATEST")
    role_may(account, "lambda:GetFunction", "*", attach=True)

    assert run_audit().exit_code == 0

    permissions = DOCS.read_text().split("### Permissions")[1].split("## JSON output")[0]
    documented = set(re.findall(r'"([a-z0-9-]+:[A-Za-z]+)"', permissions))
    # GetCallerIdentity needs no permission (docs/audit.md says so).
    missing = sorted(calls - documented - {"sts:GetCallerIdentity"})
    assert "iam:GetPolicyVersion" in calls and "lambda:GetPolicy" in calls
    assert not missing, f"docs/audit.md's permissions lack {missing}"


def test_calls_per_function_and_per_role(account: Account, run_audit: Any) -> None:
    """150 functions of one role: three Lambda calls each (no alias, no version), the role and
    its managed policy read once."""
    from collections import Counter

    from botocore.handlers import BUILTIN_HANDLERS

    for index in range(150):
        account.add_function(f"fn{index:03d}", role=ROLE)
    template_role_policy(account)
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.removeprefix("before-call.")] += 1

    BUILTIN_HANDLERS.append(("before-call", count))
    try:
        result = run_audit("--json")
    finally:
        BUILTIN_HANDLERS.remove(("before-call", count))

    assert result.exit_code == 0
    for operation in ("ListAliases", "GetPolicy", "ListFunctionEventInvokeConfigs"):
        assert calls[f"lambda.{operation}"] == 150, operation
    for operation in ("GetRole", "ListRolePolicies", "ListAttachedRolePolicies"):
        assert calls[f"iam.{operation}"] == 1, operation
    assert calls["iam.GetPolicy"] == calls["iam.GetPolicyVersion"] == 1


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:ResourceTag/slackgate:team": "payments"}},
        {"StringEquals": {"lambda:VpcIds": "vpc-0elsewhere"}},
    ],
    ids=["the-functions-own-tag", "a-vpc-the-caller-names"],
)
def test_a_conditioned_grant_is_seen_as_the_function_sees_it(
    account: Account, run_audit: Any, condition: dict[str, Any]
) -> None:
    """The function's tags reach the evaluation (collect -> exposure), and a condition on a key
    the caller chooses is met (caller_conditions.worst_case)."""
    account.add_function("nightly", tags={"slackgate:team": "payments"})
    template_role_policy(account)
    statement = {"Effect": "Allow", "Action": "lambda:UpdateFunctionConfiguration"}
    document = {
        "Version": "2012-10-17",
        "Statement": [{**statement, "Resource": "*", "Condition": condition}],
    }
    account.iam.put_role_policy(
        RoleName=ROLE, PolicyName="extra", PolicyDocument=json.dumps(document)
    )

    result = run_audit("--json")

    assert "role-can-change-function" in result.codes("nightly")
    assert "lambda:UpdateFunctionConfiguration on its own function" in result.out
    assert result.exit_code == 1
