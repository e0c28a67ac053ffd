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
    }


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


def test_organization_lists_active_accounts(
    members: Any, missing_role: list[str], account: Account, run_audit: Any
) -> None:
    organizations = boto3.client("organizations", region_name="us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    created = [
        organizations.create_account(Email=f"team{n}@example.com", AccountName=f"team{n}")
        for n in range(2)
    ]
    ids = {
        organizations.describe_create_account_status(
            CreateAccountRequestId=c["CreateAccountStatus"]["Id"]
        )["CreateAccountStatus"]["AccountId"]
        for c in created
    }

    result = run_audit("--organization", "--json")

    audited = {e["account"] for e in result.document["accounts"]}
    # The management account (the caller's own) and both team accounts, none skipped.
    assert audited == {ACCOUNT_ID, *ids}
    # The new team accounts have no member stack's parameters yet: unreachable.
    assert result.exit_code == 2
    assert {e["status"] for e in result.document["accounts"] if e["account"] in ids} == {
        "unreachable"
    }


def test_organization_needs_list_accounts(account: Account, run_audit: Any) -> None:
    # No organisation in this moto account: no account to audit is an error, not a pass.
    result = run_audit("--organization")

    assert result.exit_code == 2
    assert result.out == ""
    assert "no ACTIVE account" in result.err
    assert "organizations:ListAccounts" in result.err


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
