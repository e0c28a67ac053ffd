"""Network-level checks of the published VPC: which endpoints exist, and what they admit.

- Every endpoint is of `execute-api`, `logs` or a published offered service; refused services
  get no endpoint whatever the published parameter says.
- Every data endpoint (logs and the offered services) still keeps both perimeters and the
  outward denials. This is proven by evaluating the policy document AWS reports for the
  endpoint against the catalogue's probe table (`shared_gateway.perimeter.probes`), not by
  reading how it is written: a policy that lost a condition or a denial is caught by what it
  admits.
- The execute-api endpoint admits the relay API and no other API.
- Each published service has an endpoint (otherwise functions' calls fail, closed).

Pure functions over the plain data of `network.py`; `collect.py` gathers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from shared_gateway.audit.checks import LATEST, FunctionVersion, Network, check_routes
from shared_gateway.audit.dns_checks import check_dns_firewall
from shared_gateway.audit.network import (
    ESCAPE,
    EXECUTE_API,
    FAIL_CLOSED,
    DnsFirewall,
    Finding,
    GatewayFacts,
    VpcEndpoint,
    data_service,
    refused_reason,
)
from shared_gateway.iampolicy import PolicyError, Request, evaluate
from shared_gateway.perimeter import (
    ALWAYS_ON,
    OFFERED,
    REFUSED,
    Perimeter,
    Probe,
    Service,
    probes,
)
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

# What AWS applies to an endpoint created without a policy: anyone, anything, anywhere.
DEFAULT_POLICY: Mapping[str, Any] = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
RELAY_METHOD_PATH = "POST/v1/messages"
OTHER_API_ID = "a1b2c3d4e5"  # an API id that is never the relay's


def describe(endpoint: VpcEndpoint) -> str:
    return f"{endpoint.id} ({endpoint.service_name})"


def services_parameter(prefix: str) -> str:
    return f"{prefix}/network/services"


def check_endpoint_service(
    endpoint: VpcEndpoint, facts: GatewayFacts, prefix: str
) -> list[Finding]:
    """The endpoint is of execute-api, logs or a published offered service."""
    short = endpoint.short_name(facts.region)
    if facts.allows(short):
        return []
    reason = refused_reason(short) if short else None
    if reason is not None:
        return [
            Finding(
                "endpoint-refused-service",
                ESCAPE,
                f"{describe(endpoint)}: {short} is refused: {reason}",
            )
        ]
    if short in OFFERED:
        return [
            Finding(
                "endpoint-not-published",
                ESCAPE,
                f"{describe(endpoint)}: {short} is offered but not enabled in "
                f"{services_parameter(prefix)} ({', '.join(facts.services)}): functions reach "
                "a service the platform did not publish",
            )
        ]
    where = "" if short else f" of {facts.region}"
    return [
        Finding(
            "endpoint-unknown-service",
            ESCAPE,
            f"{describe(endpoint)}: not a service{where} in slackgate's catalogue "
            f"(offered: {', '.join(OFFERED)})",
        )
    ]


def check_published_services(
    endpoints: Iterable[VpcEndpoint], facts: GatewayFacts, vpc_id: str, prefix: str
) -> list[Finding]:
    """Each published service is one slackgate offers, and has an endpoint."""
    parameter = services_parameter(prefix)
    present = {short for e in endpoints if facts.allows(short := e.short_name(facts.region))}
    findings = []
    for name in dict.fromkeys([*ALWAYS_ON, *facts.services]):
        if name not in ALWAYS_ON and name not in OFFERED:
            refused = REFUSED.get(name)
            why = f"it is refused: {refused}" if refused else "it is not in the catalogue"
            findings.append(
                Finding(
                    "published-service-not-offered",
                    ESCAPE,
                    f"{parameter} names {name!r}, but {why}",
                )
            )
        elif name not in present:
            findings.append(
                Finding(
                    "endpoint-missing",
                    FAIL_CLOSED,
                    f"{name} is published in {parameter} but {vpc_id} has no {name} endpoint: "
                    "functions' calls to it fail (nothing escapes)",
                )
            )
    return findings


def relay_probes(facts: GatewayFacts) -> list[Probe]:
    """The execute-api endpoint must admit the relay API, and no other API of any account."""

    def api(account: str, api_id: str) -> str:
        return (
            f"arn:{facts.partition}:execute-api:{facts.region}:{account}:{api_id}/"
            f"{facts.relay_stage}/{RELAY_METHOD_PATH}"
        )

    role = f"arn:{facts.partition}:sts::{facts.account}:assumed-role/slackgate-probe-fn/probe"
    context = {"aws:PrincipalAccount": facts.account}
    return [
        Probe(
            "execute-api:Invoke of the relay API",
            "execute-api:Invoke",
            api(facts.account, facts.api_id),
            role,
            context,
            True,
        ),
        Probe(
            "execute-api:Invoke of another API of this account",
            "execute-api:Invoke",
            api(facts.account, OTHER_API_ID),
            role,
            context,
            False,
        ),
        Probe(
            "execute-api:Invoke of another account's API",
            "execute-api:Invoke",
            api(OUTSIDE_ACCOUNT, OTHER_API_ID),
            role,
            context,
            False,
        ),
    ]


def perimeter_probes(service: Service, facts: GatewayFacts) -> list[Probe]:
    perimeter = Perimeter(facts.account, facts.organization_id)
    return probes(service, perimeter, region=facts.region, partition=facts.partition)


def check_endpoint_policy(endpoint: VpcEndpoint, facts: GatewayFacts) -> list[Finding]:
    """Evaluate the deployed policy against the probes of the endpoint's service."""
    short = endpoint.short_name(facts.region)
    if short == EXECUTE_API:
        code, table = "endpoint-policy-relay", relay_probes(facts)
    elif (service := data_service(short)) is not None and refused_reason(short or "") is None:
        code, table = "endpoint-policy-perimeter", perimeter_probes(service, facts)
    else:
        return []  # refused or unknown: the endpoint's existence is the finding
    document, note = parse_policy(endpoint.policy)
    if document is None:
        return [Finding("endpoint-policy-unreadable", ESCAPE, f"{describe(endpoint)}: {note}")]
    findings = []
    for probe in table:
        request = Request(probe.action, probe.resource, probe.principal, dict(probe.context))
        try:
            answer = evaluate(document, request, principal_required=True).allowed
        except PolicyError as exc:
            return [
                Finding(
                    "endpoint-policy-unreadable",
                    ESCAPE,
                    f"{describe(endpoint)}: its policy cannot be evaluated ({exc}), so the "
                    "perimeter cannot be proven",
                )
            ]
        if answer != probe.allowed:
            verb = "admits" if answer else "refuses"
            findings.append(
                Finding(
                    code,
                    ESCAPE if answer else FAIL_CLOSED,
                    f"{describe(endpoint)}: {verb} {probe.name}{note}"
                    + ("" if answer else _refusal_hint(facts, code)),
                )
            )
    return findings


def _refusal_hint(facts: GatewayFacts, code: str) -> str:
    if code == "endpoint-policy-perimeter" and not facts.organization_id:
        return " (if the gateway's perimeter is an organisation, pass --organization-id)"
    return ""


def parse_policy(text: str | None) -> tuple[dict[str, Any] | None, str]:
    """(document, note): the deployed document, or AWS's default when there is none."""
    if text is None or not text.strip():
        return dict(DEFAULT_POLICY), " (no policy document: AWS's default full access)"
    try:
        document = json.loads(text)
    except ValueError as exc:
        return None, f"its policy document is not JSON ({exc}), so the perimeter cannot be proven"
    if not isinstance(document, dict):
        return None, "its policy document is not a JSON object, so the perimeter cannot be proven"
    return document, ""


def check_network(
    endpoints: Iterable[VpcEndpoint],
    firewall: DnsFirewall | None,
    facts: GatewayFacts,
    vpc_id: str,
    prefix: str = "/slackgate",
) -> list[Finding]:
    """Every network finding of the published VPC: each endpoint's, then the published
    services', then the DNS firewall's."""
    live = sorted(
        (e for e in endpoints if e.vpc_id == vpc_id and e.live),
        key=lambda e: (e.service_name, e.id),
    )
    findings = []
    for endpoint in live:  # each endpoint's findings together
        findings += check_endpoint_service(endpoint, facts, prefix)
        findings += check_endpoint_policy(endpoint, facts)
    findings += check_published_services(live, facts, vpc_id, prefix)
    findings += check_dns_firewall(firewall, facts, vpc_id)
    return findings


def check_published_routes(network: Network) -> list[Finding]:
    """The routes of the published subnets themselves: team functions of other accounts run in
    them and their accounts' audits leave the routes to this one, so they are checked here
    even when no function of this account uses them."""
    published = network.published
    subnets = FunctionVersion(
        version=LATEST,
        role_arn="",
        vpc_id=published.vpc_id,
        subnet_ids=tuple(sorted(published.subnet_ids)),
    )
    return [
        Finding("published-subnet-route", ESCAPE, f"{reason.code}: {reason.message}")
        for reason in check_routes(subnets, network)
    ]


def audit_network(network: Network, prefix: str = "/slackgate") -> list[Finding]:
    """The network findings of what `collect` gathered (none without the gateway's facts, and
    none in a team account: the network is the hub's, audited in the hub's account)."""
    if network.facts is None or network.facts.in_member_account:
        return []
    return [
        *check_network(
            network.endpoints,
            network.dns_firewall,
            network.facts,
            network.published.vpc_id,
            prefix,
        ),
        *check_published_routes(network),
    ]
