"""cdk-nag (zero unacknowledged findings), cfn-lint (no errors), and a deployment to moto."""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .conftest import REGION, Synthesized

pytestmark = pytest.mark.slow

# cdk.json as it is (no service), every offered service, every service in an organisation, and
# the subnets shared with team accounts (test_sharing.py).
CONFIGURATIONS = ["gateway", "gateway_all", "gateway_org", "gateway_shared"]


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_cdk_nag_reports_no_unacknowledged_finding(
    configuration: str, request: pytest.FixtureRequest
) -> None:
    gateway: Synthesized = request.getfixturevalue(configuration)
    report = gateway.outdir / "validation-report.json"
    findings = []
    if report.exists():
        for plugin in json.loads(report.read_text())["pluginReports"]:
            for violation in plugin["violations"]:
                paths = [c["constructPath"] for c in violation["violatingConstructs"]]
                findings.append(f"{violation['ruleName']}: {paths}")
    assert not findings, "\n".join(findings)
    assert gateway.synth_error is None


def test_nag_checks_do_fail_synthesis_on_a_finding(tmp_path) -> None:
    """The negative control: the same wiring rejects an SNS topic that allows plain HTTP."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sns as sns

    from shared_gateway.infra.nag import add_nag_checks

    app = App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    sns.Topic(Stack(app, "Bad"), "Topic")
    add_nag_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-SNS3" in rules


def test_every_acknowledgement_has_a_reason(gateway: Synthesized) -> None:
    from aws_cdk import Validations

    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = {}
    for construct in gateway.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                acknowledged.update(entry.data)
    assert len(acknowledged) >= 10
    for rule, reason in acknowledged.items():
        assert isinstance(reason, str) and len(reason) > 40, rule


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_cfn_lint_reports_no_errors(configuration: str, request: pytest.FixtureRequest) -> None:
    from cfnlint.api import lint

    gateway: Synthesized = request.getfixturevalue(configuration)
    matches = lint(json.dumps(gateway.template), regions=[REGION])
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(str(m) for m in errors)
    # Known warnings only: W3010, zones pinned on purpose (from cdk.json, never dummies);
    # W3005, CDK's own DependsOn next to a GetAtt for Lambda roles.
    assert {m.rule.id for m in matches} <= {"W3005", "W3010"}, "\n".join(map(str, matches))


def _for_moto(template: dict[str, Any]) -> dict[str, Any]:
    """What moto cannot model is taken out or replaced; the rest is deployed as synthesized."""
    template = copy.deepcopy(template)
    resources = template["Resources"]
    # Custom resources make CloudFormation invoke a Lambda, which moto would run in
    # Docker: the endpoint-policy call and the default-SG restriction are asserted on the
    # template instead. Their provider functions, roles and role policies go with them.
    custom = {k for k, r in resources.items() if r["Type"].startswith("Custom::")}
    providers = {resources[k]["Properties"]["ServiceToken"]["Fn::GetAtt"][0] for k in custom}
    roles = {resources[p]["Properties"]["Role"]["Fn::GetAtt"][0] for p in providers}
    policies = {
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::IAM::Policy"
        and any(role.get("Ref") in roles for role in r["Properties"]["Roles"])
    }
    removed = custom | providers | roles | policies
    for name in removed:
        del resources[name]
    for resource in resources.values():
        if "DependsOn" in resource:
            resource["DependsOn"] = [d for d in resource["DependsOn"] if d not in removed]
        # Function code is an S3 asset the test does not upload; inline code stands in.
        if resource["Type"] == "AWS::Lambda::Function":
            resource["Properties"]["Code"] = {"ZipFile": "def handler(event, context): pass"}
    return template


def test_template_deploys_to_moto(gateway: Synthesized) -> None:
    template = _for_moto(gateway.template)
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about types it models as no-ops
        # The CDK bootstrap version parameter the template checks (as `cdk bootstrap` sets).
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/cdk-bootstrap/slackgate/version", Value="30", Type="String"
        )
        cfn = boto3.client("cloudformation", region_name=REGION)
        cfn.create_stack(
            StackName="slackgate-gateway",
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        stack = cfn.describe_stacks(StackName="slackgate-gateway")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")

        ssm = boto3.client("ssm", region_name=REGION)
        vpc_id = ssm.get_parameter(Name="/slackgate/network/vpc-id")["Parameter"]["Value"]
        assert vpc_id.startswith("vpc-")
        subnets = ssm.get_parameter(Name="/slackgate/network/subnet-ids")["Parameter"]
        assert subnets["Type"] == "StringList" and len(subnets["Value"].split(",")) == 2
        # (moto's CloudFormation skips secrets, stages, alarms and DNS Firewall resources;
        # those are asserted on the template.)
        functions = boto3.client("lambda", region_name=REGION).list_functions()["Functions"]
        relay = [f for f in functions if f["Handler"] == "relay.handler.handler"]
        assert len(relay) == 1
        assert not relay[0].get("VpcConfig", {}).get("SubnetIds")
        ec2 = boto3.client("ec2", region_name=REGION)
        gateways = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
        assert gateways == []
