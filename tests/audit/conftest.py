"""A confined slackgate account in moto, and a way to run the audit against it.

The account: a VPC with two isolated subnets sharing a route table with only the local route,
execute-api and CloudWatch Logs interface endpoints behind their own security group (execute-api
with the relay-only policy, logs with the catalogue's perimeter policy), the function security
group (egress only tcp 443 to the endpoints' group), the SSM parameters the gateway publishes,
a DNS firewall allowing exactly the relay's and the logs' names, and helpers to enable more
services the way the gateway does and to add Lambda functions with `slackgate-<team>-<name>`
roles.

moto has no Route 53 Resolver DNS Firewall, so the firewall is a stand-in (`FakeFirewall`)
answering for the audit's thin collection function, which test_resolver.py tests on its own
with botocore's Stubber.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from moto import mock_aws

from shared_gateway.__main__ import main
from shared_gateway.audit import collect as audit_collect
from shared_gateway.audit.network import (
    DnsFirewall,
    FirewallAssociation,
    FirewallRule,
)
from shared_gateway.perimeter import LOGS, OFFERED, Perimeter, endpoint_policy
from shared_gateway.perimeter.services import GATEWAY

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
PREFIX = "/slackgate"
API_ID = "abc123"
PERIMETER = Perimeter(ACCOUNT_ID)
RELAY_NAME = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
# The execute-api endpoint's policy as the gateway's template writes it (endpoint_policy.py).


def relay_only_policy(account: str) -> dict[str, Any]:
    """The execute-api endpoint's policy as the gateway of `account` deploys it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RelayRouteOnly",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "execute-api:Invoke",
                "Resource": f"arn:aws:execute-api:{REGION}:{account}:{API_ID}"
                "/prod/POST/v1/messages",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": account}},
            }
        ],
    }


RELAY_ONLY_POLICY = relay_only_policy(ACCOUNT_ID)
ALLOW_LIST_ID = "rslvr-fdl-allowed"
EVERYTHING_LIST_ID = "rslvr-fdl-everything"
ASSUME_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


CODE = _zip()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials and a region; nothing from the developer's own AWS setup leaks in."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_LAMBDA",
        "AWS_ENDPOINT_URL_EC2",
        "AWS_ENDPOINT_URL_SSM",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # The audit never looks at AMIs; loading moto's catalogue of them costs a second per test.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


# Every audit run opens a fresh boto3 session, which re-reads the large EC2 service model; the
# tests share one loader (its cache is read-only) so that a run costs milliseconds, not a second.
_SHARED_LOADER = botocore.loaders.create_loader()
_SESSION_INIT = boto3.Session.__init__


def _session_with_shared_loader(self: boto3.Session, *args: Any, **kwargs: Any) -> None:
    if kwargs.get("botocore_session") is None:
        core = botocore.session.get_session()
        core.register_component("data_loader", _SHARED_LOADER)
        kwargs["botocore_session"] = core
    _SESSION_INIT(self, *args, **kwargs)


@pytest.fixture(autouse=True)
def fast_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boto3.Session, "__init__", _session_with_shared_loader)


# moto 5.2.5 has GetFunctionUrlConfig but not ListFunctionUrlConfigs, which the audit uses
# because it also covers aliases. This answers that one call from moto's own state.
LIST_URLS = re.compile(
    r"https://lambda\.([a-z0-9-]+)\.amazonaws\.com/[^/]+/functions/([^/?]+)/urls"
)

CREDENTIAL_KEY = re.compile(r"Credential=([A-Z0-9]+)/")


def _list_function_url_configs(request: Any, **_: Any) -> AWSResponse | None:
    match = LIST_URLS.match(request.url)
    if not match or request.method != "GET":
        return None
    from moto.awslambda.models import lambda_backends
    from moto.iam.models import get_account_id_from

    region, name = match.groups()
    # The account of the request's credentials (an assumed role's are another account's).
    authorization = request.headers.get("Authorization") or b""
    if isinstance(authorization, bytes):
        authorization = authorization.decode("utf-8", "replace")
    key = CREDENTIAL_KEY.search(authorization)
    backend = lambda_backends[get_account_id_from(key.group(1)) if key else ACCOUNT_ID][region]
    try:
        function = backend.get_function(name)
        configs = [function.get_url_config().to_dict()] if function.url_config else []
    except Exception:
        return AWSResponse(
            request.url,
            404,
            {"x-amzn-errortype": "ResourceNotFoundException"},
            _Raw(json.dumps({"Type": "User", "Message": f"Function not found: {name}"})),
        )
    return AWSResponse(
        request.url,
        200,
        {"Content-Type": "application/json"},
        _Raw(json.dumps({"FunctionUrlConfigs": configs})),
    )


class _Raw(io.BytesIO):
    def __init__(self, body: str) -> None:
        super().__init__(body.encode())

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


@pytest.fixture
def list_urls_shim() -> Iterator[None]:
    # First in the list, so it answers before moto's stubber declines the unknown path.
    entry = ("before-send", _list_function_url_configs)
    BUILTIN_HANDLERS.insert(0, entry)
    try:
        yield
    finally:
        BUILTIN_HANDLERS.remove(entry)


@dataclass
class FakeFirewall:
    """The VPC's DNS firewall as the gateway builds it: one rule group, an ALLOW rule for the
    `allowed` names, then (unless `block_all` is False) a BLOCK rule for `*`."""

    allowed: list[str] = field(default_factory=lambda: [RELAY_NAME, *LOGS.domains(REGION, "")])
    block_all: bool = True
    associated: bool = True
    fail_open: str = "DISABLED"
    asked_for: list[str] = field(default_factory=list)

    def describe(self, resolver: Any, vpc_id: str) -> DnsFirewall:
        self.asked_for.append(vpc_id)
        if not self.associated:
            return DnsFirewall(fail_open=self.fail_open)
        rules = [FirewallRule(100, "ALLOW", ALLOW_LIST_ID, "allowed")]
        lists: dict[str, tuple[str, ...] | None] = {ALLOW_LIST_ID: tuple(self.allowed)}
        if self.block_all:
            rules.append(FirewallRule(200, "BLOCK", EVERYTHING_LIST_ID, "everything"))
            lists[EVERYTHING_LIST_ID] = ("*",)
        association = FirewallAssociation(
            "rslvr-frgassoc-1", "rslvr-frg-1", 101, "COMPLETE", "slackgate", tuple(rules)
        )
        return DnsFirewall((association,), lists, {}, self.fail_open)


@dataclass
class Account:
    """Handles to the moto account and the ids of the confined network."""

    ec2: Any
    lambda_: Any
    iam: Any
    ssm: Any
    vpc_id: str
    subnet_ids: list[str]
    route_table_id: str
    endpoint_sg_id: str
    function_sg_id: str
    endpoint_id: str
    logs_endpoint_id: str
    firewall: FakeFirewall
    services: list[str] = field(default_factory=lambda: ["execute-api", "logs"])
    roles: dict[str, str] = field(default_factory=dict)

    def enable(self, *names: str) -> dict[str, str]:
        """Enables offered services as the gateway does: an endpoint with the catalogue's
        policy, 443 to the managed prefix list of a gateway service, the service's DNS names
        allowed, and the services parameter republished. Returns the endpoint ids."""
        ids = {}
        for name in names:
            service = OFFERED[name]
            policy = json.dumps(endpoint_policy(service, PERIMETER))
            if service.endpoint == GATEWAY:
                ids[name] = self.endpoint(name, "Gateway", policy=policy)
                self.allow_prefix_list(self.managed_prefix_list(name))
            else:
                ids[name] = self.endpoint(name, "Interface", policy=policy)
            self.firewall.allowed += service.domains(REGION, ACCOUNT_ID)
            self.services.append(name)
        self.publish_services(self.services)
        return ids

    def endpoint(self, name: str, kind: str = "Interface", policy: str | None = None) -> str:
        """An endpoint of `com.amazonaws.<region>.<name>` in the published VPC."""
        kwargs: dict[str, Any] = {"PolicyDocument": policy} if policy is not None else {}
        if kind == "Gateway":
            kwargs["RouteTableIds"] = [self.route_table_id]
        else:
            kwargs.update(SubnetIds=self.subnet_ids, SecurityGroupIds=[self.endpoint_sg_id])
        return self.ec2.create_vpc_endpoint(
            VpcEndpointType=kind,
            VpcId=self.vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.{name}",
            **kwargs,
        )["VpcEndpoint"]["VpcEndpointId"]

    def set_policy(self, endpoint_id: str, policy: dict[str, Any]) -> None:
        self.ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(policy))

    def managed_prefix_list(self, name: str) -> str:
        lists = self.ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.{name}"]}]
        )["PrefixLists"]
        return lists[0]["PrefixListId"]

    def allow_prefix_list(self, list_id: str, port: int = 443) -> None:
        self.ec2.authorize_security_group_egress(
            GroupId=self.function_sg_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "PrefixListIds": [{"PrefixListId": list_id}],
                }
            ],
        )

    def publish_services(self, names: list[str]) -> None:
        self.ssm.put_parameter(
            Name=f"{PREFIX}/network/services",
            Type="StringList",
            Value=",".join(names),
            Overwrite=True,
        )

    def role(self, name: str) -> str:
        if name not in self.roles:
            answer = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_LAMBDA)
            self.roles[name] = answer["Role"]["Arn"]
        return self.roles[name]

    def add_function(
        self,
        name: str,
        *,
        team: str = "payments",
        role: str | None = None,
        tags: dict[str, str] | None = None,
        subnet_ids: list[str] | None = None,
        security_group_ids: list[str] | None = None,
        in_vpc: bool = True,
        publish: bool = False,
    ) -> dict[str, Any]:
        """A function placed like a team stack places it, unless told otherwise."""
        kwargs: dict[str, Any] = {}
        if in_vpc:
            kwargs["VpcConfig"] = {
                "SubnetIds": subnet_ids if subnet_ids is not None else self.subnet_ids,
                "SecurityGroupIds": security_group_ids
                if security_group_ids is not None
                else [self.function_sg_id],
            }
        if tags:
            kwargs["Tags"] = tags
        return self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role(role or f"slackgate-{team}-{name}"),
            Handler="handler.handler",
            Code={"ZipFile": CODE},
            Publish=publish,
            **kwargs,
        )

    def publish(self, prefix: str = PREFIX, subnet_ids: list[str] | None = None) -> None:
        """(Re)write the gateway's parameters, e.g. under another prefix or other subnets."""
        put_parameters(
            self.ssm, prefix, self.vpc_id, subnet_ids or self.subnet_ids, self.function_sg_id
        )

    def new_vpc(self, cidr: str = "10.1.0.0/16") -> str:
        return self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]

    def new_subnet(self, vpc_id: str | None = None, cidr: str = "10.0.9.0/24") -> str:
        answer = self.ec2.create_subnet(
            VpcId=vpc_id or self.vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}a"
        )
        return answer["Subnet"]["SubnetId"]

    def new_security_group(self, name: str, vpc_id: str | None = None) -> str:
        group = self.ec2.create_security_group(
            GroupName=name, Description=name, VpcId=vpc_id or self.vpc_id
        )["GroupId"]
        revoke_all_egress(self.ec2, group)
        return group

    def internet_gateway(self) -> str:
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.vpc_id)
        return igw

    def main_route_table_id(self) -> str:
        tables = self.ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [self.vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
        return tables[0]["RouteTableId"]


def revoke_all_egress(ec2: Any, group_id: str) -> None:
    """New groups allow all egress by default; the gateway's groups start from nothing."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )


def assumed_session(account_id: str) -> boto3.Session:
    """A session in another moto account (moto maps an AssumeRole answer's credentials to the
    role's account), through the role the member stack deploys."""
    from shared_gateway.organisation.settings import DEFAULT_AUDIT_ROLE

    answer = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{DEFAULT_AUDIT_ROLE}", RoleSessionName="setup"
    )
    credentials = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def build_confined_network(ec2: Any, ssm: Any, account: str = ACCOUNT_ID) -> dict[str, Any]:
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for cidr, zone in (("10.0.1.0/24", "a"), ("10.0.2.0/24", "b"))
    ]
    route_table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for subnet_id in subnet_ids:
        ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)
    endpoint_sg_id = ec2.create_security_group(
        GroupName="slackgate-endpoint", Description="execute-api endpoint", VpcId=vpc_id
    )["GroupId"]
    function_sg_id = ec2.create_security_group(
        GroupName="slackgate-functions", Description="user functions", VpcId=vpc_id
    )["GroupId"]
    revoke_all_egress(ec2, function_sg_id)
    ec2.authorize_security_group_egress(
        GroupId=function_sg_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": endpoint_sg_id}],
            }
        ],
    )
    endpoint_ids = {
        name: ec2.create_vpc_endpoint(
            VpcEndpointType="Interface",
            VpcId=vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.{name}",
            SubnetIds=subnet_ids,
            SecurityGroupIds=[endpoint_sg_id],
            PrivateDnsEnabled=True,
            PolicyDocument=json.dumps(policy),
        )["VpcEndpoint"]["VpcEndpointId"]
        for name, policy in (
            ("execute-api", relay_only_policy(account)),
            ("logs", endpoint_policy(LOGS, Perimeter(account))),
        )
    }
    put_parameters(ssm, PREFIX, vpc_id, subnet_ids, function_sg_id)
    return {
        "vpc_id": vpc_id,
        "subnet_ids": subnet_ids,
        "route_table_id": route_table_id,
        "endpoint_sg_id": endpoint_sg_id,
        "function_sg_id": function_sg_id,
        "endpoint_id": endpoint_ids["execute-api"],
        "logs_endpoint_id": endpoint_ids["logs"],
    }


def put_parameters(
    ssm: Any, prefix: str, vpc_id: str, subnet_ids: list[str], function_sg_id: str
) -> None:
    values = {
        "network/vpc-id": ("String", vpc_id),
        "network/subnet-ids": ("StringList", ",".join(subnet_ids)),
        "network/function-sg-id": ("String", function_sg_id),
        "network/services": ("StringList", "execute-api,logs"),
        "api/url": ("String", f"https://{RELAY_NAME}/prod"),
        "api/id": ("String", API_ID),
    }
    for suffix, (kind, value) in values.items():
        ssm.put_parameter(Name=f"{prefix}/{suffix}", Type=kind, Value=value, Overwrite=True)


@pytest.fixture
def moto_aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def account(moto_aws: None, list_urls_shim: None, monkeypatch: pytest.MonkeyPatch) -> Account:
    ec2 = boto3.client("ec2", region_name=REGION)
    ssm = boto3.client("ssm", region_name=REGION)
    ids = build_confined_network(ec2, ssm)
    firewall = FakeFirewall()
    monkeypatch.setattr(audit_collect, "describe_dns_firewall", firewall.describe)
    return Account(
        ec2=ec2,
        lambda_=boto3.client("lambda", region_name=REGION),
        iam=boto3.client("iam", region_name=REGION),
        ssm=ssm,
        firewall=firewall,
        **ids,
    )


@dataclass
class AuditRun:
    exit_code: int
    out: str
    err: str

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.out)

    def verdict(self, name: str) -> dict[str, Any]:
        matches = [f for f in self.document["functions"] if f["name"] == name]
        assert matches, f"{name} not in the audit: {self.out}"
        return matches[0]

    def codes(self, name: str) -> list[str]:
        return [reason["code"] for reason in self.verdict(name)["reasons"]]


@pytest.fixture
def run_audit(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str) -> AuditRun:
        capsys.readouterr()
        exit_code = main(["audit", *argv])
        captured = capsys.readouterr()
        return AuditRun(exit_code, captured.out, captured.err)

    return run
