"""Endpoint policies that enforce the data perimeter, as plain IAM policy JSON.

Both halves of the perimeter on every request through the endpoint:

- identity: the calling principal is ours (`aws:PrincipalAccount`, or `aws:PrincipalOrgID`
  when an organisation id is configured);
- resource: the resource acted on is ours (`aws:ResourceAccount`, or `aws:ResourceOrgID`).

The actions a service would use to carry data out of the perimeter are denied outright, even
on our own resources. An endpoint policy grants nothing by itself: the caller's own policies
must allow the request too (the team role grants only its declared resources).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .services import Service

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")

ALLOW_SID = "OurPrincipalsOnOurResources"
RESOURCELESS_SID = "OurPrincipalsResourcelessActions"
DENY_SID = "NoPublishingOutsideThePerimeter"


class Perimeter(NamedTuple):
    """Whose principals and resources are "ours": one account, or a whole organisation."""

    account: str
    organization_id: str = ""

    def principal_condition(self) -> dict[str, str]:
        if self.organization_id:
            return {"aws:PrincipalOrgID": self.organization_id}
        return {"aws:PrincipalAccount": self.account}

    def resource_condition(self) -> dict[str, str]:
        if self.organization_id:
            return {"aws:ResourceOrgID": self.organization_id}
        return {"aws:ResourceAccount": self.account}


def _statement(
    sid: str, effect: str, actions: tuple[str, ...], condition: dict[str, str] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": effect,
        "Principal": {"AWS": "*"},  # any caller: the conditions say whose
        "Action": list(actions),
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = {"StringEquals": condition}
    return statement


def endpoint_policy(service: Service, perimeter: Perimeter) -> dict[str, Any]:
    """The endpoint policy of `service`: our principals on our resources, nothing outward."""
    both = {**perimeter.principal_condition(), **perimeter.resource_condition()}
    statements = [_statement(ALLOW_SID, "Allow", service.actions, both)]
    if service.resourceless_actions:
        statements.append(
            _statement(
                RESOURCELESS_SID,
                "Allow",
                service.resourceless_actions,
                perimeter.principal_condition(),
            )
        )
    if service.outward_actions:
        statements.append(_statement(DENY_SID, "Deny", service.outward_actions))
    return {"Version": "2012-10-17", "Statement": statements}
