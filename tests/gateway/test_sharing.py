"""The hub model: the isolated subnets shared with team accounts through AWS RAM (`shareWith`).

No share by default; with `shareWith`, one resource share holds exactly the isolated subnets'
ARNs (not the function security group: sharing.py says why) for exactly the configured
principals, inside the organisation only; the endpoint group admits HTTPS from exactly those
subnets' ranges. Bad principals, OUs without the organisation, and a registry account the
subnets are not shared with fail before any construct, saying what to change.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from shared_gateway.iampolicy import resolve_cfn
from shared_gateway.infra import build_app
from shared_gateway.infra.config import ConfigError, GatewayConfig
from shared_gateway.infra.sharing import SHARE_NAME, teams_by_account
from shared_gateway.relay.registry import load_registry

from .conftest import (
    ACCOUNT,
    MEMBER_ACCOUNT,
    ORGANIZATION_ID,
    PSEUDO,
    REGION,
    TEAMS_OU,
    Synthesized,
    cdk_json_context,
)

SHARE = "AWS::RAM::ResourceShare"
SUBNET = "AWS::EC2::Subnet"
ORGANIZATION_ARN = f"arn:aws:organizations::999999999999:organization/{ORGANIZATION_ID}"


def refs(gateway: Synthesized) -> dict[str, Any]:
    """The pseudo parameters, and each resource's Ref as `<logical id>` (a stand-in id)."""
    return {**PSEUDO, **{name: name for name in gateway.template["Resources"]}}


def shared_cidr_ingress(gateway: Synthesized) -> list[dict[str, Any]]:
    endpoint_sg = gateway.group("slackgate interface endpoints")
    return [
        rule["Properties"]
        for rule in gateway.resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [endpoint_sg, "GroupId"]}
        and "CidrIp" in rule["Properties"]
    ]


def test_one_account_shares_nothing(gateway: Synthesized) -> None:
    assert gateway.resources(SHARE) == {}
    assert shared_cidr_ingress(gateway) == []


def test_the_share_holds_exactly_the_isolated_subnets(gateway_shared: Synthesized) -> None:
    _, share = gateway_shared.one(SHARE)
    subnets = gateway_shared.resources(SUBNET)
    assert len(subnets) == 2  # one per zone of cdk.json, all isolated (test_network.py)
    arns = resolve_cfn(share["Properties"]["ResourceArns"], refs(gateway_shared))
    assert sorted(arns) == sorted(
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{name}" for name in subnets
    )
    # The function group (or any other resource type) is not in the share: Lambda is not
    # among the services AWS documents for shared security groups (sharing.py).
    assert all(re.fullmatch(r"arn:aws:ec2:[^:]+:\d{12}:subnet/.+", arn) for arn in arns)
    assert share["Properties"]["Name"] == SHARE_NAME


def test_the_share_names_the_configured_principals_inside_the_organisation(
    gateway_shared: Synthesized,
) -> None:
    _, share = gateway_shared.one(SHARE)
    assert share["Properties"]["Principals"] == [MEMBER_ACCOUNT, TEAMS_OU]
    # Subnets are shareable only within the organisation: never an invitation to outsiders.
    assert share["Properties"]["AllowExternalPrincipals"] is False
    assert "PermissionArns" not in share["Properties"]  # RAM's default subnet permission


def test_the_endpoints_admit_https_from_exactly_the_shared_subnets(
    gateway_shared: Synthesized,
) -> None:
    subnet_ranges = sorted(
        s["Properties"]["CidrBlock"] for s in gateway_shared.resources(SUBNET).values()
    )
    rules = shared_cidr_ingress(gateway_shared)
    assert sorted(r["CidrIp"] for r in rules) == subnet_ranges
    for rule in rules:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
        assert ipaddress.ip_network(rule["CidrIp"]).subnet_of(ipaddress.ip_network("10.80.0.0/16"))
    # The function group's egress is unchanged: still the endpoint group only.
    egress = gateway_shared.resources("AWS::EC2::SecurityGroupEgress").values()
    assert [r["Properties"]["Description"] for r in egress] == [
        "HTTPS to the interface endpoints only"
    ]


def _build(tmp_path: Path, registry: str | None = None, **context: Any) -> None:
    if registry is not None:
        path = tmp_path / "registry.toml"
        path.write_text(registry)
        context["slackgate:registryPath"] = str(path)
    build_app(cdk_json_context(**context), outdir=str(tmp_path / "cdk.out"))


def _team_registry(*accounts: str) -> str:
    listed = ", ".join(f'"{a}"' for a in accounts)
    return f"""
[teams.payments]
channels = ["payments-alerts"]
accounts = [{listed}]
[channels.payments-alerts]
secret = "slackgate/channels/payments-alerts"
"""


REFUSED = {
    "not an id or ARN": (
        {"slackgate:shareWith": ["payments"]},
        "'payments' is neither a 12-digit account id, an OU ARN",
    ),
    "an 11-digit id": (
        {"slackgate:shareWith": ["21098765432"]},
        "neither a 12-digit account id",
    ),
    "an OU id without its ARN": (
        {"slackgate:shareWith": ["ou-ab12-teams0001"], "slackgate:organizationId": ORGANIZATION_ID},
        "neither a 12-digit account id",
    ),
    "an OU without organizationId": (
        {"slackgate:shareWith": [TEAMS_OU]},
        f"names an OU or the organisation, so set slackgate:organizationId to that "
        f"organisation's id ({ORGANIZATION_ID}) too",
    ),
    "the organisation without organizationId": (
        {"slackgate:shareWith": [ORGANIZATION_ARN]},
        "set slackgate:organizationId",
    ),
    "an OU of another organisation": (
        {
            "slackgate:shareWith": [TEAMS_OU.replace(ORGANIZATION_ID, "o-zzzzzzzzzz")],
            "slackgate:organizationId": ORGANIZATION_ID,
        },
        f"is in organisation o-zzzzzzzzzz, not in slackgate:organizationId {ORGANIZATION_ID}",
    ),
    "the gateway's own account": (
        {"slackgate:shareWith": [ACCOUNT]},
        f"{ACCOUNT} is this gateway's own account",
    ),
    "a principal twice": (
        {"slackgate:shareWith": [MEMBER_ACCOUNT, MEMBER_ACCOUNT]},
        "lists a principal more than once",
    ),
}


@pytest.mark.parametrize(("context", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_principals_are_refused_with_the_fix(
    tmp_path: Path, context: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match="invalid gateway context") as refused:
        _build(tmp_path, **context)
    assert message in str(refused.value)


def test_a_team_account_the_subnets_are_not_shared_with_fails_synthesis(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        _build(
            tmp_path,
            _team_registry("111111111111", "222222222222", ACCOUNT),
            **{"slackgate:shareWith": ["111111111111"]},
        )
    message = str(refused.value)
    assert "222222222222 (teams payments)" in message
    assert 'Add ["222222222222"] to slackgate:shareWith in shared_gateway/cdk.json' in message
    # The gateway's own account and the shared one are not reported.
    assert "111111111111" not in message and ACCOUNT not in message


def test_team_accounts_without_any_share_fail_synthesis(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Add \[\"111111111111\"\] to slackgate:shareWith"):
        _build(tmp_path, _team_registry("111111111111"))


COVERED = {
    "listed, given with -c as text": {"slackgate:shareWith": "111111111111,222222222222"},
    "an OU (membership not checkable offline)": {
        "slackgate:shareWith": [TEAMS_OU],
        "slackgate:organizationId": ORGANIZATION_ID,
    },
    "the organisation": {
        "slackgate:shareWith": f'["{ORGANIZATION_ARN}"]',  # a JSON list with -c
        "slackgate:organizationId": ORGANIZATION_ID,
    },
}


TEAMS_BY_ACCOUNT = {"111111111111": ["payments"], "222222222222": ["search"], ACCOUNT: ["ops"]}


@pytest.mark.parametrize("context", COVERED.values(), ids=COVERED.keys())
def test_covered_team_accounts_are_accepted(context: dict[str, Any]) -> None:
    config = GatewayConfig.from_context(cdk_json_context(**context).get)
    config.require_shared_with(TEAMS_BY_ACCOUNT)  # raises if any were refused


def test_only_the_gateways_own_account_needs_no_share() -> None:
    GatewayConfig.from_context(cdk_json_context().get).require_shared_with({ACCOUNT: ["ops"]})


def test_the_registry_accounts_are_grouped_with_their_teams(tmp_path: Path) -> None:
    path = tmp_path / "registry.toml"
    path.write_text(_team_registry("111111111111", ACCOUNT))
    assert teams_by_account(load_registry(path)) == {
        ACCOUNT: ["payments"],
        "111111111111": ["payments"],
    }
