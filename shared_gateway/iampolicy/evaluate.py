"""Deciding one policy, and combining the policies that AWS consults for one request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .conditions import conditions_hold, parse_condition
from .model import Decision, Evaluation, PolicyError, Request
from .patterns import Context, Pattern, UnresolvedVariable, every, normalize_context, policy_strings
from .principals import PrincipalSpec, parse_principal

Policy = Mapping[str, Any] | Sequence[Mapping[str, Any]]

_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"}
    | {"Principal", "NotPrincipal", "Condition"}
)
_POLICY_KEYS = frozenset({"Version", "Id", "Statement"})
_VERSIONS = ("2012-10-17", "2008-10-17")


def _one_of(statement: Mapping[str, Any], names: tuple[str, str], where: str) -> tuple[str, Any]:
    present = [name for name in names if name in statement]
    if len(present) != 1:
        raise PolicyError(f"{where}: needs exactly one of {names[0]} or {names[1]}")
    return present[0], statement[present[0]]


@dataclass(frozen=True)
class _Statement:
    index: int
    sid: str | None
    deny: bool
    actions: tuple[Pattern, ...]
    not_action: bool
    resources: tuple[Pattern, ...] | None  # None: the statement names no resource
    not_resource: bool
    principal: PrincipalSpec | None
    not_principal: bool
    conditions: tuple[Any, ...]

    def applies(self, request: Request, context: Context) -> bool:
        # Every part is evaluated so that errors in a later part are never hidden by a miss.
        service, _, name = request.action.partition(":")
        action = f"{service}:{name}"
        action_hit = any(p.matches(action, context) for p in self.actions) != self.not_action
        try:
            parts = every(lambda part: part(request, context), (self._resource, self._condition))
        except UnresolvedVariable:
            return False  # a policy variable without a value: the statement is invalid
        principal_hit = True
        if self.principal is not None:
            if self.not_principal:
                principal_hit = not self.principal.names_every_layer(request.principal)
            else:
                principal_hit = self.principal.names_any_layer(request.principal)
        return action_hit and all(parts) and principal_hit

    def _resource(self, request: Request, context: Context) -> bool:
        if self.resources is None:
            return True
        hit = any(every(lambda p: p.matches(request.resource, context), self.resources))
        return hit != self.not_resource

    def _condition(self, request: Request, context: Context) -> bool:
        return conditions_hold(self.conditions, context)


def _parse_statement(raw: Any, index: int, variables: bool, principal_required: bool) -> _Statement:
    where = f"statement {index}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: a statement must be an object, got {raw!r}")
    if "Sid" in raw:
        where = f"statement {index} (Sid {raw['Sid']!r})"
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{where}: unsupported element(s) {sorted(unknown)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny, not {effect!r}")

    action_key, action_value = _one_of(raw, ("Action", "NotAction"), where)
    actions = []
    for action in policy_strings(action_value, f"{where} {action_key}"):
        if action != "*" and ":" not in action:
            raise PolicyError(f"{where}: action {action!r} must be service:name or *")
        # Service prefixes and action names are case-insensitive; no variables in actions.
        actions.append(Pattern(action, wildcards=True, variables=False, ignore_case=True))

    resources, not_resource = None, False
    if "Resource" in raw or "NotResource" in raw:
        resource_key, resource_value = _one_of(raw, ("Resource", "NotResource"), where)
        not_resource = resource_key == "NotResource"
        resources = tuple(
            Pattern(r, wildcards=True, variables=variables)
            for r in policy_strings(resource_value, f"{where} {resource_key}")
        )
    elif not principal_required:
        raise PolicyError(f"{where}: an identity policy statement needs Resource or NotResource")

    principal, not_principal = None, False
    if principal_required:
        principal_key, principal_value = _one_of(raw, ("Principal", "NotPrincipal"), where)
        not_principal = principal_key == "NotPrincipal"
        if not_principal and effect != "Deny":
            raise PolicyError(f"{where}: AWS supports NotPrincipal only with Effect Deny")
        principal = parse_principal(principal_value, f"{where} {principal_key}")
    elif "Principal" in raw or "NotPrincipal" in raw:
        raise PolicyError(
            f"{where}: Principal in an identity policy; evaluate resource-based and endpoint "
            "policies with principal_required=True"
        )

    conditions = parse_condition(raw["Condition"], where, variables) if "Condition" in raw else ()
    return _Statement(
        index=index,
        sid=raw.get("Sid"),
        deny=effect == "Deny",
        actions=tuple(actions),
        not_action=action_key == "NotAction",
        resources=resources,
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
    )


def _statements(policy: Policy) -> tuple[list[Any], bool]:
    """The raw statements and whether policy variables are read (policy language 2012-10-17)."""
    if isinstance(policy, Mapping):
        unknown = set(policy) - _POLICY_KEYS
        if unknown:
            raise PolicyError(f"policy: unsupported element(s) {sorted(unknown)}")
        # Without Version AWS reads 2008-10-17, where ${...} is plain text.
        version = policy.get("Version", "2008-10-17")
        if version not in _VERSIONS:
            raise PolicyError(f"policy: unknown Version {version!r}; use 2012-10-17")
        if "Statement" not in policy:
            raise PolicyError("policy: no Statement")
        statements = policy["Statement"]
        listed = statements if isinstance(statements, list) else [statements]
        return listed, version == "2012-10-17"
    if isinstance(policy, Sequence) and not isinstance(policy, str):
        # A bare list of statements, as CDK's PolicyDocument.to_json() nests: read as 2012-10-17.
        return list(policy), True
    raise PolicyError(f"policy must be a document or a list of statements, got {policy!r}")


def evaluate(policy: Policy, request: Request, *, principal_required: bool = False) -> Evaluation:
    """Decide ``request`` against one policy: explicit deny, allow, or implicit deny.

    ``principal_required=True`` for resource-based and VPC endpoint policies, whose statements
    name a Principal (or NotPrincipal) that must match ``request.principal``; identity policies
    have none. The whole policy is checked first: anything unsupported raises PolicyError.
    """
    raw, variables = _statements(policy)
    if not raw:
        raise PolicyError("policy: Statement is empty")
    parsed = [_parse_statement(s, i, variables, principal_required) for i, s in enumerate(raw)]
    if ":" not in request.action:
        raise PolicyError(f"request action {request.action!r} must be service:name")
    context = normalize_context(request.context)
    matching = [statement for statement in parsed if statement.applies(request, context)]
    for statement in matching:
        if statement.deny:
            return Evaluation(Decision.EXPLICIT_DENY, statement.sid, statement.index)
    if matching:
        return Evaluation(Decision.ALLOW, matching[0].sid, matching[0].index)
    return Evaluation(Decision.IMPLICIT_DENY)
