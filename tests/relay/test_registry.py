"""The registry: every mistake is reported with the file, the key and how to fix it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_gateway.relay.registry import (
    BOOTSTRAP_QUALIFIER_LENGTH,
    DOMAIN_NAME,
    PERSONAL_DEFAULTS,
    RESERVED_TEAM_SLUGS,
    TEAM_SLUG,
    RegistryError,
    Team,
    bootstrap_qualifier,
    load_registry,
    parse_registry,
)

VALID = """
[teams.payments]
channels = ["payments-alerts"]
link_domains = ["Example.COM.", "bücher.example"]
action = "redact"
rate_limit_per_minute = 30

[channels.payments-alerts]
secret = "slackgate/channels/payments-alerts"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        parse_registry(text, "reg.toml")
    return caught.value.problems


def test_valid_registry_is_normalised() -> None:
    registry = parse_registry(VALID, "reg.toml")
    team = registry.teams["payments"]
    assert team.channels == frozenset({"payments-alerts"})
    # Domains are compared after IDNA, lowercase, without the trailing dot.
    assert team.link_domains == ("example.com", "xn--bcher-kva.example")
    assert team.action == "redact"
    assert team.rate_limit_per_minute == 30
    assert registry.channels["payments-alerts"].secret == "slackgate/channels/payments-alerts"
    assert registry.local_url_channels() == []


def _domains_of(name: str) -> tuple[str, ...] | None:
    text = f'[teams.payments]\nchannels=["a"]\nlink_domains={json.dumps([name])}\n'
    try:
        return (
            parse_registry(text + '[channels.a]\nsecret="s"\n', "reg.toml")
            .teams["payments"]
            .link_domains
        )
    except RegistryError:
        return None


def _by_the_idna_codec(name: str) -> tuple[str, ...] | None:
    """What the registry made of a domain when every name went through the IDNA codec."""
    name = name.strip().lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return (name,) if DOMAIN_NAME.fullmatch(name) else None


_LABEL = st.text(alphabet="abcXYZ019-_*", min_size=0, max_size=65)


@given(
    st.one_of(
        st.lists(_LABEL, min_size=1, max_size=5).map(".".join),
        st.text(alphabet=st.characters(max_codepoint=127), max_size=40),
        st.sampled_from(["a" * 63 + ".com", "a" * 64 + ".com", "a..com", ".com", "com.", "x.y."]),
    )
)
def test_an_ascii_domain_is_read_as_the_idna_codec_reads_it(name: str) -> None:
    # ASCII names skip the codec (its import costs a cold start); the outcome is the same.
    assert _domains_of(name) == _by_the_idna_codec(name)


def test_bundled_example_registry_is_valid() -> None:
    registry = load_registry(Path(__file__).parents[2] / "shared_gateway" / "registry.toml")
    assert set(registry.teams) == {"payments", "search"}
    search = registry.teams["search"]
    assert (search.decision("email"), search.decision("phone")) == ("allow", "block")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[teams.Payments]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"',
            "teams.Payments: bad team slug 'Payments'",
            id="uppercase-team-slug",
        ),
        pytest.param(
            '[teams.p]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"',
            "teams.p: bad team slug 'p'",
            id="team-slug-too-short",
        ),
        pytest.param(
            '[teams.pay-ments]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"',
            "bad team slug 'pay-ments'",
            id="hyphen-in-team-slug",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["nope"]\n[channels.a]\nurl="http://127.0.0.1:1/h"',
            "teams.payments.channels: unknown channel 'nope' — define [channels.nope]",
            id="unknown-channel-reference",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.a]\n',
            "channels.a: needs exactly one of `secret`",
            id="channel-without-secret-or-url",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.a]\nsecret="s"\nurl="http://x/h"',
            "channels.a: needs exactly one of `secret`",
            id="channel-with-both",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a","a"]\n[channels.a]\nsecret="s"',
            "teams.payments.channels: lists a channel more than once",
            id="duplicate-channel-in-team",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.a]\nsecret="s"\n[channels.a]\nsecret="t"',
            "not valid TOML",
            id="duplicate-table",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.A_B]\nsecret="s"\n',
            "channels.A_B: bad channel alias 'A_B'",
            id="bad-channel-alias",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\nlink_domains=["https://example.com"]\n'
            '[channels.a]\nsecret="s"',
            "teams.payments.link_domains: 'https://example.com' is not a domain name",
            id="domain-with-scheme",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\nlink_domains=["*.example.com"]\n'
            '[channels.a]\nsecret="s"',
            "is not a domain name",
            id="wildcard-domain",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\naction="drop"\n[channels.a]\nsecret="s"',
            'teams.payments.action: \'drop\' — use "block" or "redact"',
            id="bad-action",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\nrate_limit_per_minute=0\n[channels.a]\nsecret="s"',
            "rate_limit_per_minute: 0 — use a positive integer",
            id="bad-rate-limit",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\nchanels=["a"]\n[channels.a]\nsecret="s"',
            "teams.payments.chanels: unknown key",
            id="misspelt-key",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.a]\nsecret="s"\n[channels.b]\nsecret="t"',
            "channels.b: no team lists this channel",
            id="orphan-channel",
        ),
        pytest.param(
            '[teams.payments]\nchannels=["a"]\n[channels.a]\nurl="ftp://x/h"',
            "channels.a.url: 'ftp://x/h' is not an http(s) URL",
            id="non-http-url",
        ),
        pytest.param("teams = 1", "teams: must be a table of tables", id="teams-not-a-table"),
        pytest.param("x = 1 = 2", "not valid TOML", id="not-toml"),
    ],
)
def test_registry_errors_name_the_key_and_the_fix(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        '[teams.X]\nchannels=["a"]\n[teams.ok]\nchannels=["zz"]\naction="x"\n'
        '[channels.a]\nsecret="s"'
    )
    assert len(found) >= 3
    with pytest.raises(RegistryError) as caught:
        parse_registry('[teams.X]\nchannels=["a"]\n[channels.a]\nsecret="s"', "team.toml")
    assert str(caught.value).startswith("invalid registry team.toml")
    assert "team.toml: teams.X" in str(caught.value)


def test_missing_file_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="SLACKGATE_CONFIG"):
        load_registry(tmp_path / "absent.toml")


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared_gateway", "check-registry", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_registry_command(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(VALID)
    result = run_check(str(good))
    assert result.returncode == 0, result.stderr
    assert "1 team(s), 1 channel(s)" in result.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text('[teams.payments]\nchannels=["missing"]\n')
    result = run_check(str(bad))
    assert result.returncode == 1
    assert f"{bad}: teams.payments.channels: unknown channel 'missing'" in result.stderr


def test_check_registry_deployable_refuses_plain_urls(tmp_path: Path) -> None:
    local = tmp_path / "local.toml"
    local.write_text('[teams.payments]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:9/h"')
    assert run_check(str(local)).returncode == 0
    result = run_check("--deployable", str(local))
    assert result.returncode == 1
    assert "channels.a.url: a plain webhook URL is for local use only" in result.stderr


PERSONAL = '[teams.payments]\nchannels=["a"]\naction="{action}"\n{table}\n[channels.a]\nurl="http://127.0.0.1:1/h"\n'


def personal_team(table: str, action: str = "block") -> Team:
    text = PERSONAL.format(action=action, table=table)
    return parse_registry(text, "reg.toml").teams["payments"]


def test_personal_data_defaults_follow_the_documented_table() -> None:
    blocking, redacting = personal_team(""), personal_team("", action="redact")
    # Secrets and the numbers that identify a person or an account follow `action` ...
    for category in ("secret", "card", "my-number", "ssn", "iban"):
        assert blocking.decision(category) == "block"
        assert redacting.decision(category) == "redact"
    # ... e-mail addresses and phone numbers are redacted whatever `action` says.
    for category in ("email", "phone"):
        assert blocking.decision(category) == "redact"
        assert redacting.decision(category) == "redact"
    assert set(PERSONAL_DEFAULTS) == {"card", "my-number", "ssn", "iban", "email", "phone"}


def test_personal_data_choices_override_the_defaults_class_by_class() -> None:
    team = personal_team(
        '[teams.payments.personal_data]\nemail = "allow"\nphone = "block"\nmy-number = "redact"',
        action="block",
    )
    assert team.decision("email") == "allow"
    assert team.decision("phone") == "block"
    assert team.decision("my-number") == "redact"
    assert team.decision("card") == "block"  # not named: the default
    assert team.decision("secret") == "block"  # `action`, never the personal-data table


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        pytest.param(
            '[teams.payments.personal_data]\nemial = "allow"',
            "reg.toml: teams.payments.personal_data.emial: unknown personal-data class — use one"
            " of card, my-number, ssn, iban, email, phone",
            id="unknown-class",
        ),
        pytest.param(
            '[teams.payments.personal_data]\nemail = "ignore"',
            'reg.toml: teams.payments.personal_data.email: \'ignore\' — use "block", "redact"'
            ' or "allow"',
            id="unknown-action",
        ),
        pytest.param(
            "[teams.payments.personal_data]\nemail = true",
            "teams.payments.personal_data.email: True — use",
            id="action-not-a-string",
        ),
        pytest.param(
            'personal_data = "allow"',
            "reg.toml: teams.payments.personal_data: must be a table of class = action",
            id="not-a-table",
        ),
        pytest.param(
            '[teams.payments.personal_data]\nsecret = "allow"',
            "teams.payments.personal_data.secret: unknown personal-data class",
            id="secrets-cannot-be-allowed",
        ),
    ],
)
def test_personal_data_errors_name_the_key_and_the_fix(table: str, expected: str) -> None:
    with pytest.raises(RegistryError) as caught:
        parse_registry(PERSONAL.format(action="block", table=table), "reg.toml")
    assert expected in str(caught.value)


@pytest.mark.parametrize("slug", sorted(RESERVED_TEAM_SLUGS))
def test_reserved_team_slugs_are_refused_with_the_reason(slug: str) -> None:
    text = f'[teams.{slug}]\nchannels=["a"]\n[channels.a]\nurl="http://127.0.0.1:1/h"'
    with pytest.raises(RegistryError) as error:
        parse_registry(text)
    message = str(error.value)
    assert f"teams.{slug}: team slug {slug!r} is reserved for the gateway's own" in message
    assert "choose another slug" in message


def test_the_gateway_stack_name_is_a_reserved_team() -> None:
    """`slackgate-gateway-...` (CloudFormation's names for the stack's resources) and the
    platform's roles can never be read as a team's roles."""
    from shared_gateway.infra.platform_roles import PLATFORM_ROLE_PATH
    from shared_gateway.infra.stack import STACK_NAME

    assert STACK_NAME.removeprefix("slackgate-") in RESERVED_TEAM_SLUGS
    assert PLATFORM_ROLE_PATH.strip("/").removeprefix("slackgate-") in RESERVED_TEAM_SLUGS


@pytest.mark.parametrize(
    ("accounts", "problem"),
    [
        ('["12345678901"]', "is not an AWS account id"),
        ('["١٢٣٤٥٦٧٨٩٠١٢"]', "is not an AWS account id"),  # digits, but not ASCII ones
        ("[111111111111]", "must be a list of strings"),
        ('["111111111111", "111111111111"]', "lists an account more than once"),
    ],
)
def test_team_accounts_must_be_account_ids(accounts: str, problem: str) -> None:
    text = f'[teams.a1]\nchannels = ["c"]\naccounts = {accounts}\n[channels.c]\nsecret = "s"\n'
    with pytest.raises(RegistryError, match=problem):
        parse_registry(text)


def test_team_accounts_are_kept_and_listed_for_the_gateway() -> None:
    registry = parse_registry(
        '[teams.a1]\nchannels = ["c"]\naccounts = ["222222222222", "111111111111"]\n'
        '[teams.b2]\nchannels = ["d"]\naccounts = ["111111111111"]\n'
        '[channels.c]\nsecret = "s"\n[channels.d]\nsecret = "t"\n'
    )
    assert registry.teams["a1"].accounts == ("111111111111", "222222222222")
    assert registry.team_accounts() == ("111111111111", "222222222222")


def two_teams(first: str, second: str) -> str:
    return (
        f'[teams.{first}]\nchannels=["a"]\n[teams.{second}]\nchannels=["b"]\n'
        '[channels.a]\nurl="http://127.0.0.1:1/a"\n[channels.b]\nurl="http://127.0.0.1:1/b"'
    )


def test_two_teams_whose_bootstrap_qualifiers_would_collide_are_refused() -> None:
    # Both would deploy through the bootstrap qualified 'paymentsop'.
    found = problems(two_teams("paymentsopseu", "paymentsopsus"))
    assert found == [
        "teams.paymentsopsus: team slug 'paymentsopsus' starts with the same 10 characters as "
        "team 'paymentsopseu' ('paymentsop'), so their CDK bootstrap qualifiers would collide "
        "(each team deploys through its own bootstrap, qualified by the first 10 characters "
        "of its slug) — choose a slug that differs from 'paymentsopseu' within its first 10 "
        "characters"
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("payments", "paymentsx"),  # a prefix, but the qualifiers differ: 'payments', 'paymentsx'
        ("paymentsab", "paymentsac"),  # ten characters each, the tenth differs
        ("abcdefghi1x", "abcdefghi2x"),  # differ within the first ten, the same after
    ],
)
def test_teams_differing_within_their_first_ten_characters_are_accepted(
    first: str, second: str
) -> None:
    registry = parse_registry(two_teams(first, second))
    assert set(registry.teams) == {first, second}
    assert bootstrap_qualifier(first) != bootstrap_qualifier(second)


def test_every_slug_gives_a_qualifier_the_cdk_bootstrap_accepts() -> None:
    """The CDK bootstrap template's Qualifier: AllowedPattern "[A-Za-z0-9_-]{1,10}"."""
    assert BOOTSTRAP_QUALIFIER_LENGTH == 10
    qualifier = re.compile(r"[A-Za-z0-9_-]{1,10}")
    for slug in ("ab", "payments", "abcdefghij", "a" + "b" * 20):
        assert TEAM_SLUG.fullmatch(slug)
        assert qualifier.fullmatch(bootstrap_qualifier(slug)), slug
    assert bootstrap_qualifier("a" + "b" * 20) == "abbbbbbbbb"


@pytest.mark.parametrize("name", ["registry.toml", "registry.local.toml"])
def test_the_bundled_registries_have_distinct_qualifiers(name: str) -> None:
    registry = load_registry(Path(__file__).parents[2] / "shared_gateway" / name)
    qualifiers = [bootstrap_qualifier(slug) for slug in registry.teams]
    assert len(set(qualifiers)) == len(qualifiers) > 1


def test_the_bundled_json_copy_reads_as_the_toml_it_was_made_from(tmp_path: Path) -> None:
    from shared_gateway.infra.bundling import write_bundled_registry

    for name in ("registry.toml", "registry.local.toml"):
        source = Path(__file__).parents[2] / "shared_gateway" / name
        copy = tmp_path / f"{name}.json"
        write_bundled_registry(source, copy)
        toml, json_copy = load_registry(source), load_registry(copy)
        assert (json_copy.teams, json_copy.channels) == (toml.teams, toml.channels)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ('{"teams": {}, "teams": {}}', "a key appears twice"),
        ("[]", "must be a JSON object"),
        ('{"teams": {"a1": {"channels": ["c"]}}, "channels": {}}', "unknown channel 'c'"),
    ],
)
def test_a_bad_json_registry_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "registry.json"
    path.write_text(text)
    with pytest.raises(RegistryError, match=problem):
        load_registry(path)
