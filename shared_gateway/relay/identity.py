"""Who is calling: the team comes from the IAM principal API Gateway authenticated, nothing else.

API Gateway (AWS_IAM authorization) puts the SigV4-verified caller in
``requestContext.identity.userArn``, e.g.
``arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn``. A team's function
role is named ``slackgate-<team>-<rest>``; team slugs contain no hyphen, so the split is
unambiguous. Headers, query and body are never consulted.

The relay cannot see the role's tags. That the name's team is the role's own is enforced before
the relay runs, by the API's resource policy: the role's IAM tag `slackgate:team` must name the
same team (infra/relay_api.py), and only the team's deploy principal can set that tag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .lean_typing import TYPE_CHECKING
from .reasons import Reason
from .registry import Registry, Team

if TYPE_CHECKING:
    from typing import Any

# Partitions AWS has today; an ARN from anywhere else is not one of ours. The account is
# [0-9], not \d: Python's \d also matches Arabic-Indic, fullwidth and other digits.
_ASSUMED_ROLE_ARN = re.compile(
    r"arn:(?:aws|aws-cn|aws-us-gov):sts::(?P<account>[0-9]{12}):assumed-role/"
    r"(?P<role>slackgate-(?P<team>[a-z][a-z0-9]{1,20})-[A-Za-z0-9+=,.@_-]+)"
    r"/(?P<session>[A-Za-z0-9+=,.@_-]{2,64})"
)
MAX_ROLE_NAME = 64  # IAM's limit; a longer "role" cannot be a real one


class CallerRejected(Exception):
    """The caller is not a known slackgate team function (403 `unknown_caller`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = Reason(
            rule="caller_identity", path="requestContext.identity", message=message
        )


def caller_arn(event: Mapping[str, Any]) -> str | None:
    context = event.get("requestContext")
    identity = context.get("identity") if isinstance(context, Mapping) else None
    arn = identity.get("userArn") if isinstance(identity, Mapping) else None
    return arn if isinstance(arn, str) else None


def team_of_caller(
    event: Mapping[str, Any], registry: Registry, expected_account: str | None = None
) -> Team:
    """Returns the registered team whose function signed this request, or raises CallerRejected."""
    arn = caller_arn(event)
    if not arn:
        raise CallerRejected(
            "no authenticated caller — requests must be SigV4-signed by a slackgate function role"
        )
    match = _ASSUMED_ROLE_ARN.fullmatch(arn)
    if match is None or len(match["role"]) > MAX_ROLE_NAME:
        raise CallerRejected(
            "the caller is not a slackgate function role (expected an assumed role named "
            "slackgate-<team>-<function>)"
        )
    team = registry.teams.get(match["team"])
    if team is None:
        raise CallerRejected(
            f"team {match['team']!r} is not in the relay's registry — ask the platform team "
            "to add it"
        )
    # A team is its roles in its own accounts: the registry's `accounts`, or else the
    # gateway's. A role of the same name in any other account is someone else's.
    accounts = team.accounts or ((expected_account,) if expected_account is not None else ())
    if accounts and match["account"] not in accounts:
        raise CallerRejected(
            f"the caller's role belongs to an AWS account that is not one of team "
            f"{team.slug!r}'s — the platform team lists a team's accounts in the registry "
            f"(teams.{team.slug}.accounts)"
        )
    return team
