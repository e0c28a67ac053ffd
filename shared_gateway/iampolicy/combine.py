"""How AWS combines the policies consulted for one request (IAM User Guide, "Policy evaluation
logic" and "Cross-account policy evaluation logic").

Each kind of policy is given or left out (None: that kind is not in play, e.g. no VPC endpoint on
the path, or a service principal that has no identity policy):

* an explicit Deny in any policy of any kind denies;
* the VPC endpoint policy, the permissions boundary, the SCPs and the RCPs must each allow
  (``scp``/``rcp``: the policies attached at one level of the organisation, e.g. FullAWSAccess
  and the organisation's own; one of them allowing is enough, as within any kind);
* identity and resource-based policies: within one account either may allow; across accounts
  both must. Which case applies comes from ``same_account``, or else from the principal's account
  (its ARN or ``aws:PrincipalAccount``) and the resource's (``aws:ResourceAccount`` or the
  resource ARN); when it matters and cannot be told, PolicyError asks for it.

Not modelled: several levels of SCPs at once (decide each level, or give the one that
matters), session policies, and the special cases where a resource-based policy naming a role
session directly is not limited by that role's boundary. An RCP's statements name a Principal
(``"*"``), like a resource-based policy's; an SCP's name none, like an identity policy's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

from .evaluate import Policy, evaluate
from .model import Decision, Evaluation, PolicyError, Request
from .patterns import normalize_context

Policies = Policy | Sequence[Policy]

_PRINCIPAL_REQUIRED = {
    "identity": False,
    "boundary": False,
    "resource": True,
    "endpoint": True,
    "scp": False,
    "rcp": True,
}
_GATES = ("endpoint", "boundary", "scp", "rcp")


def _documents(policies: Policies, kind: str) -> list[Policy]:
    """One policy (a document, or a list of statements) or a list of policies."""
    if isinstance(policies, Mapping):
        return [policies]
    items = list(policies)
    if items and all(isinstance(item, Mapping) and "Statement" not in item for item in items):
        return [items]
    if all(
        isinstance(item, list) or (isinstance(item, Mapping) and "Statement" in item)
        for item in items
    ):
        return items
    raise PolicyError(
        f"{kind}: give one policy document, one list of statements, or a list of either"
    )


def _kind_decision(evaluations: list[Evaluation]) -> Decision:
    decisions = {evaluation.decision for evaluation in evaluations}
    for decision in (Decision.EXPLICIT_DENY, Decision.ALLOW):
        if decision in decisions:
            return decision
    return Decision.IMPLICIT_DENY


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def _same_account(request: Request) -> bool | None:
    context = normalize_context(request.context)
    principal = context.get("aws:principalaccount", (None,))[0] or _account_of(request.principal)
    resource = context.get("aws:resourceaccount", (None,))[0] or _account_of(request.resource)
    if principal is None or resource is None:
        return None
    return principal == resource


@dataclass(frozen=True)
class Combined:
    """The combined answer and, per kind of policy, each policy's evaluation (for messages)."""

    allowed: bool
    evaluations: Mapping[str, list[Evaluation]] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [f"{kind}: {', '.join(map(str, e))}" for kind, e in self.evaluations.items()]
        return f"{'allowed' if self.allowed else 'denied'} ({'; '.join(parts)})"


def decide(
    request: Request,
    *,
    identity: Policies | None = None,
    resource: Policies | None = None,
    endpoint: Policies | None = None,
    boundary: Policies | None = None,
    same_account: bool | None = None,
    scp: Policies | None = None,
    rcp: Policies | None = None,
) -> Combined:
    """Combine the given kinds of policy for ``request``; see the module docstring."""
    given = {
        kind: policies
        for kind, policies in (
            ("identity", identity),
            ("resource", resource),
            ("endpoint", endpoint),
            ("boundary", boundary),
            ("scp", scp),
            ("rcp", rcp),
        )
        if policies is not None
    }
    if not given:
        raise PolicyError(
            "allowed(): give at least one of identity, resource, endpoint, boundary, scp, rcp"
        )
    evaluations = {
        kind: [
            evaluate(policy, request, principal_required=_PRINCIPAL_REQUIRED[kind])
            for policy in _documents(policies, kind)
        ]
        for kind, policies in given.items()
    }
    decisions = {kind: _kind_decision(found) for kind, found in evaluations.items()}
    if Decision.EXPLICIT_DENY in decisions.values():
        return Combined(False, evaluations)
    allows = {kind: decision is Decision.ALLOW for kind, decision in decisions.items()}
    gates = [allows[kind] for kind in _GATES if kind in allows]
    grants = [allows[kind] for kind in ("identity", "resource") if kind in allows]
    if len(grants) == 2 and grants[0] != grants[1]:
        if same_account is None:
            same_account = _same_account(request)
        if same_account is None:
            raise PolicyError(
                "cannot tell whether the request crosses accounts: pass same_account= or put "
                "aws:PrincipalAccount and aws:ResourceAccount in the request context"
            )
        granted = same_account  # one grant is enough only within one account
    else:
        granted = all(grants)
    return Combined(all(gates) and granted, evaluations)


class PolicyKinds(TypedDict, total=False):
    """The keyword arguments of ``allowed``, as ``decide`` takes them."""

    identity: Policies | None
    resource: Policies | None
    endpoint: Policies | None
    boundary: Policies | None
    same_account: bool | None
    scp: Policies | None
    rcp: Policies | None


def allowed(request: Request, **kinds: Unpack[PolicyKinds]) -> bool:
    """Whether AWS allows ``request`` under these policies; ``decide`` says which statements.

    ``allowed(request, identity=role_policies, endpoint=endpoint_policy)``: each keyword takes one
    policy (a document or a list of statements) or a list of policies; see the module docstring.
    """
    return decide(request, **kinds).allowed
