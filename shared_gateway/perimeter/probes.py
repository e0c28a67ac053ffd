"""The table of requests that proves an endpoint policy keeps the perimeter.

Each probe is a request with the answer the policy must give. The gateway's tests evaluate
the synthesized endpoint policies against these probes, and the audit evaluates the policies
it finds on the deployed endpoints against the same probes: a policy that lost a condition
or a denied action is caught by what it admits, not by how it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .policy import Perimeter
from .services import Service

# Stand-ins for "someone else": an account and an organisation that are never ours.
OUTSIDE_ACCOUNT = "999999999999"
OUTSIDE_ORGANIZATION = "o-outsideorg00"


class Probe(NamedTuple):
    name: str
    action: str
    resource: str
    principal: str
    context: Mapping[str, str]
    allowed: bool  # what the endpoint policy must answer


def _context(
    perimeter: Perimeter, *, principal_account: str, resource_account: str | None
) -> dict[str, str]:
    ours = perimeter.organization_id or ""
    context = {"aws:PrincipalAccount": principal_account}
    if perimeter.organization_id:
        inside = principal_account == perimeter.account
        context["aws:PrincipalOrgID"] = ours if inside else OUTSIDE_ORGANIZATION
    if resource_account is not None:
        context["aws:ResourceAccount"] = resource_account
        if perimeter.organization_id:
            inside = resource_account == perimeter.account
            context["aws:ResourceOrgID"] = ours if inside else OUTSIDE_ORGANIZATION
    return context


def probes(
    service: Service, perimeter: Perimeter, *, region: str, partition: str = "aws"
) -> list[Probe]:
    """Requests through `service`'s endpoint that must be allowed, and those that must not."""

    def resource(account: str) -> str:
        return service.probe_resource.format(partition=partition, region=region, account=account)

    def role(account: str) -> str:
        return f"arn:{partition}:sts::{account}:assumed-role/slackgate-probe-fn/probe"

    ours, theirs = perimeter.account, OUTSIDE_ACCOUNT

    def probe(
        name: str, action: str, by: str, on: str | None, allowed: bool, arn: str | None = None
    ) -> Probe:
        """`action` by account `by` on a resource of account `on` (None: no resource account)."""
        context = _context(perimeter, principal_account=by, resource_account=on)
        return Probe(name, action, arn or resource(on or ours), role(by), context, allowed)

    action = service.probe_action
    table = [
        probe(f"{action} by our principal on our resource", action, ours, ours, True),
        probe(
            f"{action} by our principal on another account's resource", action, ours, theirs, False
        ),
        probe(
            f"{action} by another account's principal on our resource", action, theirs, ours, False
        ),
        probe(f"{action} with no resource account in the request", action, ours, None, False),
    ]
    table += [
        probe(
            f"{outward} by our principal on our resource (carries data outward)",
            outward,
            ours,
            ours,
            False,
        )
        for outward in service.outward_actions
    ]
    for resourceless in service.resourceless_actions:
        table += [
            probe(f"{resourceless} by our principal", resourceless, ours, None, True, arn="*"),
            probe(
                f"{resourceless} by another account's principal",
                resourceless,
                theirs,
                None,
                False,
                arn="*",
            ),
        ]
    return table
