"""The network part of the audit end to end: moto's EC2, SSM and STS, the stand-in firewall.

Each test starts from the confined account of conftest.py, enables services the way the
gateway does, and changes exactly one thing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared_gateway.perimeter import LOGS, OFFERED, REFUSED, Perimeter, endpoint_policy

Account = Any  # the conftest's Account
REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
PREFIX = "/slackgate"
ORGANIZATION = "o-a1b2c3d4e5"
SERVICES = ("s3", "dynamodb", "ssm", "secretsmanager", "sqs")


def findings(result: Any) -> list[dict[str, str]]:
    return result.document["network"]["findings"]


def codes(result: Any) -> list[str]:
    return [f["code"] for f in findings(result)]


def policy_of(account: Account, endpoint_id: str) -> dict[str, Any]:
    [endpoint] = account.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    return json.loads(endpoint["PolicyDocument"])


def test_a_clean_network_with_several_services_passes(account: Account, run_audit: Any) -> None:
    account.enable(*SERVICES)
    account.add_function("nightly")  # its egress now includes the S3 and DynamoDB lists

    result = run_audit()

    assert result.exit_code == 0, result.out
    assert account.firewall.asked_for == [account.vpc_id]
    lines = result.out.splitlines()
    heading = next(line for line in lines if line.startswith("NETWORK"))
    assert heading == (
        f"NETWORK {account.vpc_id}: services execute-api, logs, {', '.join(SERVICES)}; "
        f"perimeter account {ACCOUNT_ID}"
    )
    assert "no findings: endpoints, endpoint policies and DNS firewall as published" in lines
    assert lines[-1] == (
        f"1 function: 1 confined, 0 escapes; network: 0 findings (region {REGION})"
    )
    document = run_audit("--json").document
    assert document["network"]["services"] == ["execute-api", "logs", *SERVICES]
    assert len(document["network"]["endpoints"]) == 2 + len(SERVICES)


def test_an_endpoint_of_a_refused_service(account: Account, run_audit: Any) -> None:
    endpoint_id = account.endpoint("sns")

    result = run_audit("--json")

    assert result.exit_code == 1
    [finding] = findings(result)
    assert finding == {
        "code": "endpoint-refused-service",
        "severity": "escape",
        "message": f"{endpoint_id} (com.amazonaws.{REGION}.sns): sns is refused: {REFUSED['sns']}",
    }
    assert result.document["summary"]["network_findings"] == 1
    table = run_audit()
    assert table.exit_code == 1
    assert f"escape    endpoint-refused-service: {endpoint_id}" in table.out
    assert table.out.splitlines()[-1].endswith("network: 1 finding (region eu-west-1)")


def test_an_endpoint_of_an_unpublished_service(account: Account, run_audit: Any) -> None:
    policy = json.dumps(endpoint_policy(OFFERED["kms"], Perimeter(ACCOUNT_ID)))
    account.endpoint("kms", policy=policy)

    result = run_audit("--json")

    assert result.exit_code == 1
    assert codes(result) == ["endpoint-not-published"]


def test_a_published_service_without_its_endpoint(account: Account, run_audit: Any) -> None:
    ids = account.enable("sqs")
    account.ec2.delete_vpc_endpoints(VpcEndpointIds=[ids["sqs"]])

    result = run_audit("--json")

    assert result.exit_code == 1
    [finding] = findings(result)
    assert (finding["code"], finding["severity"]) == ("endpoint-missing", "fail-closed")


def test_the_resource_account_condition_removed(account: Account, run_audit: Any) -> None:
    ids = account.enable("s3")
    policy = policy_of(account, ids["s3"])
    for statement in policy["Statement"]:
        statement.get("Condition", {}).get("StringEquals", {}).pop("aws:ResourceAccount", None)
    account.set_policy(ids["s3"], policy)

    result = run_audit("--json")

    assert result.exit_code == 1
    assert [f["message"].split(": ", 1)[1] for f in findings(result)] == [
        "admits s3:GetObject by our principal on another account's resource",
        "admits s3:GetObject with no resource account in the request",
    ]
    assert set(codes(result)) == {"endpoint-policy-perimeter"}


def test_an_outward_action_no_longer_denied(account: Account, run_audit: Any) -> None:
    ids = account.enable("s3")
    policy = policy_of(account, ids["s3"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    deny["Action"].remove("s3:PutBucketAcl")
    account.set_policy(ids["s3"], policy)

    result = run_audit("--json")

    assert result.exit_code == 1
    [finding] = findings(result)
    assert finding["code"] == "endpoint-policy-perimeter"
    assert finding["message"] == (
        f"{ids['s3']} (com.amazonaws.{REGION}.s3): admits s3:PutBucketAcl by our principal on our "
        "resource (carries data outward)"
    )


def test_the_default_full_access_policy(account: Account, run_audit: Any) -> None:
    # Created without a policy, the endpoint gets AWS's default: anyone, anything.
    endpoint_id = account.endpoint("secretsmanager")
    account.firewall.allowed.append(f"secretsmanager.{REGION}.amazonaws.com")
    account.publish_services(["execute-api", "logs", "secretsmanager"])

    result = run_audit("--json")

    assert result.exit_code == 1
    messages = [f["message"] for f in findings(result)]
    assert set(codes(result)) == {"endpoint-policy-perimeter"}
    assert f"{endpoint_id} (com.amazonaws.{REGION}.secretsmanager): admits " in messages[0]
    assert any("admits secretsmanager:PutResourcePolicy by our principal" in m for m in messages)
    assert any("by another account's principal on our resource" in m for m in messages)


def test_a_relay_endpoint_open_to_any_api(account: Account, run_audit: Any) -> None:
    policy = policy_of(account, account.endpoint_id)
    policy["Statement"][0]["Resource"] = "*"
    account.set_policy(account.endpoint_id, policy)

    result = run_audit("--json")

    assert result.exit_code == 1
    assert codes(result) == ["endpoint-policy-relay", "endpoint-policy-relay"]


def test_dns_firewall_extra_and_missing_names(account: Account, run_audit: Any) -> None:
    account.enable("ssm")
    account.firewall.allowed.remove(f"ssm.{REGION}.amazonaws.com")
    account.firewall.allowed.append("*.amazonaws.com")

    result = run_audit("--json")

    assert result.exit_code == 1
    assert [(f["code"], f["severity"]) for f in findings(result)] == [
        ("dns-firewall-extra-name", "escape"),
        ("dns-firewall-missing-name", "fail-closed"),
    ]
    assert "*.amazonaws.com" in findings(result)[0]["message"]
    assert f"ssm.{REGION}.amazonaws.com" in findings(result)[1]["message"]


def test_dns_firewall_not_associated(account: Account, run_audit: Any) -> None:
    account.firewall.associated = False
    result = run_audit("--json")
    assert result.exit_code == 1
    assert codes(result) == ["dns-firewall-not-associated"]


def test_dns_firewall_without_block_all(account: Account, run_audit: Any) -> None:
    account.firewall.block_all = False
    result = run_audit("--json")
    assert result.exit_code == 1
    assert codes(result) == ["dns-firewall-no-block-all"]


def test_prefix_list_egress_only_for_a_published_gateway_service(
    account: Account, run_audit: Any
) -> None:
    account.enable("s3")
    account.add_function("nightly")
    assert run_audit("--json").exit_code == 0  # S3's list on 443, published

    dynamodb_list = account.managed_prefix_list("dynamodb")
    account.allow_prefix_list(dynamodb_list)  # not published
    result = run_audit("--json")

    assert result.exit_code == 1
    [reason] = result.verdict("nightly")["reasons"]
    assert reason["code"] == "egress-prefix-list"
    assert f"{dynamodb_list} (com.amazonaws.{REGION}.dynamodb)" in reason["message"]
    assert findings(result) == []


def test_prefix_list_egress_of_an_unpublished_service_is_an_escape(
    account: Account, run_audit: Any
) -> None:
    account.add_function("nightly")
    account.allow_prefix_list(account.managed_prefix_list("s3"))
    result = run_audit("--json")
    assert result.exit_code == 1
    assert result.codes("nightly") == ["egress-prefix-list"]


def test_an_older_gateway_without_the_services_parameter(account: Account, run_audit: Any) -> None:
    account.ssm.delete_parameter(Name=f"{PREFIX}/network/services")
    account.add_function("nightly")

    result = run_audit()

    assert result.exit_code == 0, result.out
    note = (
        f"note: {PREFIX}/network/services is not published (a gateway deployed before services "
        "could be enabled): checking against execute-api, logs"
    )
    assert note in result.out.splitlines()
    document = run_audit("--json").document["network"]
    assert (document["services"], document["services_published"]) == (
        ["execute-api", "logs"],
        False,
    )
    assert document["notes"] == [note.removeprefix("note: ")]


def test_an_older_gateway_with_a_service_endpoint(account: Account, run_audit: Any) -> None:
    account.ssm.delete_parameter(Name=f"{PREFIX}/network/services")
    account.endpoint(
        "s3", "Gateway", policy=json.dumps(endpoint_policy(OFFERED["s3"], Perimeter(ACCOUNT_ID)))
    )
    result = run_audit("--json")
    assert result.exit_code == 1
    assert codes(result) == ["endpoint-not-published"]


def organisation_gateway(account: Account) -> None:
    """The gateway deployed for an organisation: perimeter policies on the organisation."""
    perimeter = Perimeter(ACCOUNT_ID, ORGANIZATION)
    account.set_policy(account.logs_endpoint_id, endpoint_policy(LOGS, perimeter))
    ids = account.enable("sqs")
    account.set_policy(ids["sqs"], endpoint_policy(OFFERED["sqs"], perimeter))


def test_an_organisation_gateway_needs_its_organisation(account: Account, run_audit: Any) -> None:
    organisation_gateway(account)

    result = run_audit("--json")
    assert result.exit_code == 1
    assert {(f["code"], f["severity"]) for f in findings(result)} == {
        ("endpoint-policy-perimeter", "fail-closed")
    }
    assert all("--organization-id" in f["message"] for f in findings(result))

    given = run_audit("--json", "--organization-id", ORGANIZATION)
    assert given.exit_code == 0, given.out
    assert given.document["network"]["perimeter"] == {
        "account": ACCOUNT_ID,
        "organization_id": ORGANIZATION,
    }


def test_the_published_organisation_is_used(account: Account, run_audit: Any) -> None:
    organisation_gateway(account)
    account.ssm.put_parameter(
        Name=f"{PREFIX}/network/organization-id", Type="String", Value=ORGANIZATION
    )
    result = run_audit()
    assert result.exit_code == 0, result.out
    assert f"perimeter organisation {ORGANIZATION}" in result.out


def test_a_bad_organization_id_is_a_usage_error(
    run_audit: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run_audit("--organization-id", "my-org")
    assert exc.value.code == 2
    assert "'my-org' is not an organization id like o-a1b2c3d4e5" in capsys.readouterr().err


def test_network_findings_alone_exit_1_even_without_functions(
    account: Account, run_audit: Any
) -> None:
    account.endpoint("lambda")
    result = run_audit()
    assert result.exit_code == 1
    assert result.out.startswith(f"no slackgate functions found in {REGION}")
    assert "endpoint-refused-service" in result.out


def carry_endpoint_group(account: Account, endpoint_id: str) -> list[str]:
    """moto creates endpoint interfaces without groups; in AWS they carry the endpoint's."""
    [endpoint] = account.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
    for eni in endpoint["NetworkInterfaceIds"]:
        account.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=eni, Groups=[account.endpoint_sg_id]
        )
    return endpoint["NetworkInterfaceIds"]


def test_enabled_interface_endpoints_may_share_the_group(account: Account, run_audit: Any) -> None:
    ids = account.enable("ssm")
    account.add_function("nightly")
    for endpoint_id in (account.endpoint_id, account.logs_endpoint_id, ids["ssm"]):
        assert carry_endpoint_group(account, endpoint_id)
    assert run_audit("--json").exit_code == 0


def test_a_refused_service_endpoint_sharing_the_group(account: Account, run_audit: Any) -> None:
    # The functions' egress to the endpoints' group reaches this endpoint too.
    sns = account.endpoint("sns")
    account.add_function("nightly")
    enis = carry_endpoint_group(account, sns)

    result = run_audit("--json")

    assert result.exit_code == 1
    assert result.codes("nightly") == ["endpoint-security-group-shared"]
    assert all(eni in result.verdict("nightly")["reasons"][0]["message"] for eni in enis)
    assert codes(result) == ["endpoint-refused-service"]
