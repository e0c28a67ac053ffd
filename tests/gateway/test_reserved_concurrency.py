"""slackgate:reservedConcurrency: a whole number reserves that much for the relay; 0 or "none"
leaves it unreserved (for accounts whose Lambda quota cannot spare it); anything else is refused
with the other context problems."""

from __future__ import annotations

import re

import pytest

from shared_gateway.infra.config import ConfigError, GatewayConfig

from .conftest import Synthesized, cdk_json_context, synthesize

KEY = "slackgate:reservedConcurrency"


def _config(value: object) -> GatewayConfig:
    return GatewayConfig.from_context(cdk_json_context(**{KEY: value}).get)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (50, 50),
        (1, 1),
        ("20", 20),
        (" 7 ", 7),
        (0, None),
        ("0", None),
        ("none", None),
        ("None", None),
    ],
)
def test_reserved_concurrency_from_cdk_json_or_the_command_line(
    value: object, expected: int | None
) -> None:
    assert _config(value).reserved_concurrency == expected


def test_the_default_reserves_50() -> None:
    assert GatewayConfig.from_context({}.get).reserved_concurrency == 50
    assert GatewayConfig.from_context(cdk_json_context().get).reserved_concurrency == 50


@pytest.mark.parametrize("value", [-1, "-5", "12.5", 2.5, "lots", True, [10], "٣"])
def test_anything_else_is_refused_with_the_fix(value: object) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{KEY}: ")) as caught:
        _config(value)
    assert 'or 0 or "none" to leave the relay unreserved' in str(caught.value)


def test_it_is_reported_with_the_other_problems() -> None:
    context = cdk_json_context(**{KEY: -3, "slackgate:prefix": "nope"})
    with pytest.raises(ConfigError) as caught:
        GatewayConfig.from_context(context.get)
    assert "slackgate:prefix" in str(caught.value) and KEY in str(caught.value)


@pytest.mark.slow
def test_the_relay_reserves_what_is_configured(gateway: Synthesized) -> None:
    relay = [
        f["Properties"]
        for f in gateway.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Description", "").startswith("slackgate relay")
    ]
    assert [f["ReservedConcurrentExecutions"] for f in relay] == [50]


@pytest.mark.slow
def test_unreserved_leaves_the_property_out_and_stays_nag_clean(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    unreserved = synthesize(tmp_path_factory, **{KEY: 0})
    relay = [
        f["Properties"]
        for f in unreserved.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Description", "").startswith("slackgate relay")
    ]
    assert len(relay) == 1 and "ReservedConcurrentExecutions" not in relay[0]
    assert unreserved.synth_error is None  # nag on: NIST LambdaConcurrency acknowledged
