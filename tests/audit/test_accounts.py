"""The audit across accounts: `audit --accounts ...` and `audit --organization` against moto.

moto maps the credentials of an AssumeRole answer to the role's account, so each member
account below is a separate moto account, set up through an assumed session exactly like the
caller's account of conftest.py (the confined network, the gateway's parameters).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from shared_gateway.audit import accounts
from shared_gateway.organisation.settings import DEFAULT_AUDIT_ROLE

from .conftest import ACCOUNT_ID, REGION, Account, assumed_session, build_confined_network

CONFINED = "111111111111"
ESCAPING = "222222222222"
MISSING = "333333333333"


def member_account(account_id: str, caller: Account) -> Account:
    """A member account where the gateway's parameters were copied and a confined network
    exists, reached through its audit role."""
    session = assumed_session(account_id)
    ec2, ssm = session.client("ec2"), session.client("ssm")
    ids = build_confined_network(ec2, ssm, account_id)
    return Account(
        ec2=ec2,
        lambda_=session.client("lambda"),
        iam=session.client("iam"),
        ssm=ssm,
        firewall=caller.firewall,
        **ids,
    )


@pytest.fixture
def members(account: Account) -> dict[str, Account]:
    confined = member_account(CONFINED, account)
    confined.add_function("digest", team="billing")
    escaping = member_account(ESCAPING, account)
    escaping.add_function("nightly")
    escaping.add_function("leaky", in_vpc=False)
    return {CONFINED: confined, ESCAPING: escaping}


@pytest.fixture
def missing_role(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """AssumeRole into MISSING is refused, as IAM refuses it when the member stack (its role)
    was never deployed there; moto itself assumes any role."""
    assumed: list[str] = []
    real = accounts.assume

    def assume(target: accounts.Target) -> Any:
        assumed.append(target.role_arn or "own")
        if target.account == MISSING:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not authorized to assume"}},
                "AssumeRole",
            )
        return real(target)

    monkeypatch.setattr(accounts, "assume", assume)
    return assumed


def test_confined_member_account_exits_0(members: Any, run_audit: Any) -> None:
    result = run_audit("--accounts", CONFINED)

    assert result.exit_code == 0, result.out + result.err
    assert result.out.startswith(f"== account {CONFINED} ==\n")
    assert "digest" in result.out and "confined" in result.out
    assert "1 function: 1 confined, 0 escapes; network: 0 findings" in result.out


def test_escaping_member_exits_1_and_each_account_has_its_report(
    members: Any, run_audit: Any
) -> None:
    result = run_audit("--accounts", f"{CONFINED},{ESCAPING}", "--json")

    assert result.exit_code == 1, result.out + result.err
    document = result.document
    assert [e["account"] for e in document["accounts"]] == [CONFINED, ESCAPING]
    assert {e["status"] for e in document["accounts"]} == {"audited"}
    confined, escaping = (e["report"] for e in document["accounts"])
    # Each account's own functions, in today's single-account shape.
    assert [f["name"] for f in confined["functions"]] == ["digest"]
    assert {f["name"]: f["status"] for f in escaping["functions"]} == {
        "leaky": "escapes",
        "nightly": "confined",
    }
    assert escaping["summary"]["escapes"] == 1
    # Each against its own perimeter and its own published network.
    assert confined["network"]["perimeter"]["account"] == CONFINED
    assert escaping["network"]["perimeter"]["account"] == ESCAPING
    assert confined["network"]["vpc_id"] != escaping["network"]["vpc_id"]
    assert document["summary"] == {
        "accounts": 2,
        "unreachable": 0,
        "with_escapes_or_findings": 1,
        "skipped": 0,
    }
    assert document["skipped"] == [] and document["hubs_not_audited"] == {}


def test_unassumable_role_is_reported_unreachable_and_exits_2(
    members: Any, missing_role: list[str], run_audit: Any
) -> None:
    result = run_audit("--accounts", ESCAPING, "--accounts", MISSING, "--json")

    # Unreachable outranks an escape: an account not audited proves nothing.
    assert result.exit_code == 2
    entries = {e["account"]: e for e in result.document["accounts"]}
    assert entries[ESCAPING]["status"] == "audited"
    assert entries[MISSING]["status"] == "unreachable"
    assert "AccessDenied" in entries[MISSING]["reason"]
    assert f"arn:aws:iam::{MISSING}:role/{DEFAULT_AUDIT_ROLE}" in entries[MISSING]["reason"]
    assert "make organisation-deploy" in entries[MISSING]["fix"]
    assert "report" not in entries[MISSING]


def test_unreachable_in_text_report(
    missing_role: list[str], account: Account, run_audit: Any
) -> None:
    result = run_audit("--accounts", MISSING)

    assert result.exit_code == 2
    assert f"== account {MISSING}: unreachable ==" in result.out
    assert "make organisation-deploy" in result.out


def test_account_without_gateway_parameters_is_unreachable(
    account: Account, run_audit: Any
) -> None:
    # The role is assumable but the member stack never copied the parameters.
    result = run_audit("--accounts", "444444444444", "--json")

    assert result.exit_code == 2
    (entry,) = result.document["accounts"]
    assert entry["status"] == "unreachable"
    assert "missing SSM parameter" in entry["reason"]


def test_own_account_is_audited_with_own_credentials_and_others_through_the_role(
    members: Any, missing_role: list[str], account: Account, run_audit: Any
) -> None:
    account.add_function("mine")

    result = run_audit("--accounts", f"{ACCOUNT_ID},{CONFINED}", "--role-name", "custom-audit")

    assert sorted(missing_role) == sorted(["own", f"arn:aws:iam::{CONFINED}:role/custom-audit"])
    assert result.exit_code == 0, result.out
    assert f"== account {ACCOUNT_ID} ==" in result.out and "mine" in result.out


@pytest.fixture
def organization(account: Account) -> Any:
    """An organisation whose management account is the caller's (moto's default account)."""
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return client


def new_account(organization: Any, name: str, parent: str | None = None) -> str:
    request = organization.create_account(Email=f"{name}@example.com", AccountName=name)
    created = organization.describe_create_account_status(
        CreateAccountRequestId=request["CreateAccountStatus"]["Id"]
    )["CreateAccountStatus"]["AccountId"]
    if parent:
        root = organization.list_roots()["Roots"][0]["Id"]
        organization.move_account(
            AccountId=created, SourceParentId=root, DestinationParentId=parent
        )
    return created


def new_unit(organization: Any, name: str, parent: str | None = None) -> str:
    parent = parent or organization.list_roots()["Roots"][0]["Id"]
    unit = organization.create_organizational_unit(ParentId=parent, Name=name)
    return unit["OrganizationalUnit"]["Id"]


def test_organization_lists_active_accounts(
    organization: Any, missing_role: list[str], account: Account, run_audit: Any
) -> None:
    ids = {new_account(organization, f"team{n}") for n in range(2)}

    result = run_audit("--organization", "--json")

    audited = {e["account"] for e in result.document["accounts"]}
    # The management account is the caller's own here: audited with its credentials, with
    # both team accounts; none skipped.
    assert audited == {ACCOUNT_ID, *ids}
    assert result.document["skipped"] == []
    # The new team accounts have no member stack's parameters yet: unreachable.
    assert result.exit_code == 2
    assert {e["status"] for e in result.document["accounts"] if e["account"] in ids} == {
        "unreachable"
    }


def test_organization_from_a_delegated_administrator_skips_the_management_account(
    organization: Any, account: Account, run_audit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto answers ListAccounts only to the management account, so the caller's identity is
    made a delegated administrator's; the organisation's listing is moto's."""
    teams = [new_account(organization, f"team{n}") for n in range(2)]
    for team in teams:
        member_account(team, account).add_function("digest")
    monkeypatch.setattr(accounts, "caller", lambda session: ("555555555555", "aws"))

    as_json = run_audit("--organization", "--json")
    as_text = run_audit("--organization")

    document = as_json.document
    assert [e["account"] for e in document["accounts"]] == teams
    assert {e["status"] for e in document["accounts"]} == {"audited"}
    (skipped,) = document["skipped"]
    assert skipped["account"] == ACCOUNT_ID
    assert "management account" in skipped["reason"] and "--accounts" in skipped["reason"]
    assert document["summary"]["skipped"] == 1
    # Reported, but not a failure: the run's status is the audited accounts'.
    assert as_json.exit_code == 0, as_json.out
    assert f"== account {ACCOUNT_ID}: skipped ==\nreason: the organisation's management" in (
        as_text.out
    )
    assert as_text.exit_code == 0


def test_ou_audits_the_accounts_under_it_and_its_nested_units(
    organization: Any, missing_role: list[str], account: Account, run_audit: Any
) -> None:
    teams = new_unit(organization, "teams")
    prod = new_unit(organization, "prod", parent=teams)
    sandbox = new_unit(organization, "sandbox")
    direct = new_account(organization, "direct", parent=teams)
    nested = new_account(organization, "nested", parent=prod)
    new_account(organization, "elsewhere", parent=sandbox)
    new_account(organization, "at-the-root")
    for team in (direct, nested):
        member_account(team, account).add_function("digest")

    result = run_audit("--ou", teams, "--json")

    assert [e["account"] for e in result.document["accounts"]] == [direct, nested]
    assert result.exit_code == 0, result.out
    # Two OUs: each account once.
    twice = run_audit("--ou", teams, "--ou", prod, "--json")
    assert [e["account"] for e in twice.document["accounts"]] == [direct, nested]


def test_ou_that_does_not_exist_or_is_empty(
    organization: Any, account: Account, run_audit: Any
) -> None:
    empty = new_unit(organization, "empty")

    missing = run_audit("--ou", "ou-abcd-12345678")
    nobody = run_audit("--ou", empty)

    assert (missing.exit_code, missing.out) == (2, "")
    assert "no such OU in this organisation: ou-abcd-12345678" in missing.err
    assert (nobody.exit_code, nobody.out) == (2, "")
    assert f"no ACTIVE account to audit under {empty}" in nobody.err


def test_organization_outside_an_organisation(account: Account, run_audit: Any) -> None:
    # No organisation in this moto account: no account to audit is an error, not a pass.
    result = run_audit("--organization")

    assert result.exit_code == 2
    assert result.out == ""
    assert "not in an organisation" in result.err and "--accounts" in result.err


def test_organization_from_a_member_account_that_cannot_list_it(
    organization: Any, account: Account, run_audit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = new_account(organization, "team")
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{team}:role/{DEFAULT_AUDIT_ROLE}", RoleSessionName="team"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])

    result = run_audit("--organization")

    assert (result.exit_code, result.out) == (2, "")
    assert "no ACTIVE account to audit in the organisation" in result.err
    assert "delegated administrator" in result.err


def test_parallelism_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = threading.Lock()
    running, peak = [0], [0]

    def worker(target: accounts.Target, as_json: bool) -> accounts.AccountResult:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.1)  # long enough for the pool's threads to overlap, even under load
        with lock:
            running[0] -= 1
        return accounts.AccountResult(target.account, 0)

    targets = [accounts.Target(f"{n:012d}", REGION, "/slackgate", "", None) for n in range(10)]
    results = accounts.audit_all(targets, False, 3, worker)

    assert peak[0] <= 3  # the bound
    assert peak[0] > 1  # and accounts were audited at once
    assert [r.account for r in results] == [t.account for t in targets]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--accounts", "12345"], "is not an AWS account id"),
        (["--accounts", "1111111111１1"], "is not an AWS account id"),  # a non-ASCII digit
        (["--accounts", ","], "at least one account id"),
        (["--accounts", CONFINED, "--organization"], "not allowed with"),
        (["--ou", "ou-ab12-cd34ef56", "--accounts", CONFINED], "not allowed with"),
        (["--ou", "teams"], "is not an organisational unit id"),
        (["--ou", "ou-ab12"], "is not an organisational unit id"),
        (["--accounts", CONFINED, "--max-parallel", "0"], "positive number"),
    ],
)
def test_argument_errors_exit_2(
    argv: list[str], message: str, run_audit: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_audit(*argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
