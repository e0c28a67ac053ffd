"""Plain data of the network-level audit: endpoints, the DNS firewall, findings.

The function checks (`checks.py`) ask whether one function can reach anything but the relay;
the network checks (`network_checks.py`, `dns_checks.py`) ask whether what the functions can
reach still keeps the data perimeter: which endpoints exist in the published VPC, what their
deployed policies admit, and which names the DNS firewall resolves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared_gateway.perimeter import ALWAYS_ON, LOGS, OFFERED, REFUSED, Service

# How bad a network finding is. Both make the audit exit 1 (see docs/audit.md).
ESCAPE = "escape"  # data could leave, or confinement can no longer be proven
FAIL_CLOSED = "fail-closed"  # the network differs from what was published, and calls fail

EXECUTE_API = "execute-api"
ENDPOINT_SERVICE_NAME = re.compile(r"com\.amazonaws\.([a-z0-9-]+)\.(.+)")
# Endpoint service names whose short name is not the setting name in REFUSED.
REFUSED_ALIASES: Mapping[str, str] = {
    "email-smtp": "ses",
    "kinesis-firehose": "firehose",
    "appsync-api": "appsync",
    "pinpoint-sms-voice-v2": "sms-voice",
    "sync-states": "states",
}
# Endpoints in these states carry no traffic any more.
GONE_ENDPOINT_STATES = frozenset({"deleting", "deleted", "rejected", "failed", "expired"})
PARTITION_SUFFIXES: Mapping[str, str] = {"aws-cn": "amazonaws.com.cn"}
DEFAULT_SUFFIX = "amazonaws.com"
DEFAULT_STAGE = "prod"  # the relay API stage the gateway deploys

NETWORK_REASON_CODES: Mapping[str, str] = {
    "endpoint-refused-service": "the VPC has an endpoint of a service slackgate refuses, because "
    "it can send data out of the organisation",
    "endpoint-unknown-service": "the VPC has an endpoint of a service slackgate does not offer "
    "(another region's, a PrivateLink partner's, or one outside the catalogue)",
    "endpoint-not-published": "the VPC has an endpoint of an offered service that the gateway "
    "does not publish as enabled",
    "endpoint-missing": "a published service has no endpoint in the VPC, so functions' calls to "
    "it fail (fail-closed)",
    "endpoint-policy-perimeter": "a data endpoint's deployed policy answers a perimeter probe "
    "differently from the catalogue",
    "endpoint-policy-relay": "the execute-api endpoint's deployed policy admits another API, or "
    "not the relay",
    "endpoint-policy-unreadable": "an endpoint's deployed policy cannot be read or evaluated, so "
    "the perimeter cannot be proven",
    "published-service-not-offered": "the published services parameter names a service outside "
    "the catalogue",
    "dns-firewall-not-associated": "no DNS firewall rule group is associated with the VPC",
    "dns-firewall-fail-open": "the VPC's DNS firewall fails open: queries pass when the firewall "
    "is impaired",
    "published-subnet-route": "a published subnet's route table leads out of the VPC (or "
    "cannot be found), whether or not a function runs there yet",
    "dns-firewall-no-block-all": "no BLOCK rule for `*` follows the allowed names",
    "dns-firewall-extra-name": "the DNS firewall allows a name no published service needs",
    "dns-firewall-missing-name": "the DNS firewall does not allow a name a published service "
    "needs (fail-closed)",
    "dns-firewall-unreadable": "a domain list of an ALLOW rule could not be read",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One network-level finding: a stable `code`, its severity and a message for people."""

    code: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message": self.message}


@dataclass(frozen=True, slots=True)
class VpcEndpoint:
    """One VPC endpoint as DescribeVpcEndpoints reports it.

    `policy` is the deployed policy document as AWS returns it (JSON text), None when the
    endpoint reports none (AWS then applies its default full-access policy).
    """

    id: str
    service_name: str  # com.amazonaws.eu-west-1.s3
    endpoint_type: str  # Interface, Gateway or GatewayLoadBalancer
    vpc_id: str
    state: str = "available"
    policy: str | None = None
    group_ids: tuple[str, ...] = ()
    network_interface_ids: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return self.state.lower() not in GONE_ENDPOINT_STATES

    def short_name(self, region: str) -> str | None:
        """`s3` for `com.amazonaws.<region>.s3`; None for another region's or a partner's."""
        match = ENDPOINT_SERVICE_NAME.fullmatch(self.service_name)
        if match is None or match.group(1) != region:
            return None
        return match.group(2)


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """A rule of a DNS firewall rule group; `domain_list_id` is None for rules that match
    by threat detection rather than by a domain list (DNS Firewall Advanced)."""

    priority: int
    action: str  # ALLOW, BLOCK or ALERT
    domain_list_id: str | None
    name: str = ""
    qtype: str = ""  # a rule limited to one query type leaves the other types to later rules


@dataclass(frozen=True, slots=True)
class FirewallAssociation:
    """A rule group associated with the VPC, with its rules."""

    id: str
    rule_group_id: str
    priority: int
    status: str = "COMPLETE"
    name: str = ""
    rules: tuple[FirewallRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DnsFirewall:
    """The Route 53 Resolver DNS Firewall of one VPC.

    `domain_lists` maps each domain list the rules use to its domains, or to None when the
    list could not be read (managed lists do not reveal their domains), with the error in
    `domain_list_errors`.
    """

    associations: tuple[FirewallAssociation, ...] = ()
    domain_lists: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    domain_list_errors: Mapping[str, str] = field(default_factory=dict)
    fail_open: str = "DISABLED"


@dataclass(frozen=True, slots=True)
class GatewayFacts:
    """What the gateway published beyond placement, and whose perimeter the audit proves.

    `services` is the value of `<prefix>/network/services`; `services_published` is False for
    a gateway older than that parameter, whose services are then the always-on ones.
    """

    region: str
    account: str
    api_id: str
    services: tuple[str, ...] = ALWAYS_ON
    services_published: bool = True
    organization_id: str = ""
    partition: str = "aws"
    relay_stage: str = DEFAULT_STAGE  # from <prefix>/api/url, for the relay probes
    # <prefix>/api/account: the gateway's account ("" on a gateway older than it). In a team
    # account of an organisation it is the hub's, and differs from `account`.
    gateway_account: str = ""

    @property
    def in_member_account(self) -> bool:
        """Is this a team account whose network is the gateway's shared one (organisation
        mode)? Then the gateway's endpoints, routes and DNS firewall are the hub's, audited
        there; a participant cannot see them all."""
        return bool(self.gateway_account) and self.gateway_account != self.account

    @property
    def suffix(self) -> str:
        return PARTITION_SUFFIXES.get(self.partition, DEFAULT_SUFFIX)

    def enabled(self) -> tuple[Service, ...]:
        """The offered services the gateway publishes, in catalogue order."""
        return tuple(service for name, service in OFFERED.items() if name in self.services)

    def allows(self, short_name: str | None) -> bool:
        """May functions have an endpoint of this service? The always-on ones and the
        published offered ones; never a refused one, whatever the parameter says."""
        if short_name is None or refused_reason(short_name) is not None:
            return False
        return short_name in ALWAYS_ON or (short_name in OFFERED and short_name in self.services)


def refused_reason(short_name: str) -> str | None:
    """Why the catalogue refuses this endpoint service, or None when it does not."""
    for candidate in (short_name, REFUSED_ALIASES.get(short_name), short_name.split(".")[0]):
        if candidate is not None and candidate in REFUSED:
            return REFUSED[candidate]
    return None


def data_service(short_name: str | None) -> Service | None:
    """The catalogue entry whose perimeter an endpoint of this service must keep."""
    if short_name == LOGS.name:
        return LOGS
    return OFFERED.get(short_name or "")
