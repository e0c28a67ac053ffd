"""What the guard rails cover, checked on each deployed team function.

The guard rails (`shared_gateway/guardrails/functions.py`) deny, for `slackgate-*` functions,
invokers other than the template's triggers, async invoke destinations, function URLs, layers
from other accounts, and changes to the function by the function itself. These checks find the
same ways out when they exist anyway (the guard rails were missing, or came later):

- the resource policy (every qualifier's) names no principal but the template's trigger,
  EventBridge (`events.amazonaws.com`) for a rule of this account: a caller outside the gateway
  that may invoke the function receives its output;
- no async invoke configuration has an OnSuccess or OnFailure destination, and no version has
  a dead-letter target: Lambda delivers the invocation record (the function's response or its
  error message) there, outside the VPC;
- no layer comes from another account (code the platform did not review runs in the function);
- the function's own role cannot change the function or another `slackgate-*` function
  (its identity policies and permissions boundary evaluated with `shared_gateway.iampolicy`):
  code running as the function could otherwise move itself out of the VPC.

(Function URLs are checked with placement in `checks.py`: `function-url`.)

Pure functions over plain data; `function_collect.py` gathers it. The reasons join the
function's verdict, so a function with any of them `escapes`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from shared_gateway.audit.caller_conditions import resource_context, worst_case
from shared_gateway.audit.checks import LATEST, ROLE_PREFIX, Reason, Verdict, role_name
from shared_gateway.guardrails.functions import TRIGGER_PRINCIPALS
from shared_gateway.iampolicy import PolicyError, Request, RoleSession, decide, evaluate
from shared_gateway.perimeter.probes import OUTSIDE_ACCOUNT

INVOKE = "lambda:InvokeFunction"
# What a function's role must not do to its own function or another team function: each
# undoes confinement (VPC settings, code, invokers, URLs, async destinations).
SELF_CHANGE_ACTIONS = (
    "lambda:UpdateFunctionConfiguration",
    "lambda:UpdateFunctionCode",
    "lambda:AddPermission",
    "lambda:CreateFunctionUrlConfig",
    "lambda:PutFunctionEventInvokeConfig",
)
# A `slackgate-*` function that is nobody's: `audit` is a reserved team slug.
PROBE_FUNCTION = f"{ROLE_PREFIX}audit-probe"

EXPOSURE_REASON_CODES: Mapping[str, str] = {
    "function-policy-anyone": "the resource policy lets anyone (`*`) invoke the function",
    "function-policy-other-account": "the resource policy lets another account invoke the function",
    "function-policy-principal": "the resource policy names an IAM principal of this account, "
    "or a kind of principal the template never grants",
    "function-policy-service": "the resource policy lets a service other than the template's "
    "trigger (EventBridge) invoke the function",
    "function-policy-trigger-unscoped": "the resource policy lets EventBridge invoke the "
    "function for a rule of any account (no aws:SourceArn naming this account's rules)",
    "function-policy-unreadable": "the resource policy cannot be read or evaluated",
    "async-destination": "an async invoke configuration sends invocation records to a "
    "destination (OnSuccess or OnFailure)",
    "dead-letter-target": "a version sends failed async events to a dead-letter queue or topic",
    "layer-other-account": "a layer of the function belongs to another account",
    "role-can-change-function": "the function's role may change its own function or another "
    "slackgate-* function",
    "role-policy-unreadable": "a policy of the function's role cannot be evaluated",
}


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    """The resource policy of the function or of one qualifier, as GetPolicy returns it."""

    qualifier: str | None  # None: the unqualified function
    text: str


@dataclass(frozen=True, slots=True)
class InvokeConfig:
    """One async invoke configuration (ListFunctionEventInvokeConfigs)."""

    function_arn: str  # qualified: ...:function:name:$LATEST, :1 or :alias
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class VersionExtras:
    """What a version's configuration says beyond placement: layers and dead-letter target."""

    version: str
    layers: tuple[str, ...] = ()
    dead_letter_target: str | None = None


@dataclass(frozen=True, slots=True)
class RolePolicies:
    """The identity policies of a function's role (inline and attached, each with a label),
    its permissions boundary, path and tags (the policies may read `aws:PrincipalTag`)."""

    arn: str
    path: str = "/"
    tags: Mapping[str, str] = field(default_factory=dict)
    policies: tuple[tuple[str, Any], ...] = ()
    boundary: tuple[str, Any] | None = None

    @property
    def name(self) -> str:
        return role_name(self.arn)


@dataclass(frozen=True, slots=True)
class FunctionExposure:
    name: str
    arn: str  # unqualified
    resource_policies: tuple[ResourcePolicy, ...] = ()
    invoke_configs: tuple[InvokeConfig, ...] = ()
    versions: tuple[VersionExtras, ...] = ()
    roles: tuple[RolePolicies, ...] = ()
    # The function's tags: AWS puts them in the request context (aws:ResourceTag/<key>).
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return _arn_part(self.arn, 1) or "aws"

    @property
    def region(self) -> str:
        return _arn_part(self.arn, 3)

    @property
    def account(self) -> str:
        return _arn_part(self.arn, 4)


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if len(parts) > index else ""


def qualifier_of(arn: str) -> str | None:
    """`...:function:name:prod` -> `prod`; None for an unqualified ARN."""
    parts = arn.split(":")
    return parts[7] if len(parts) > 7 and parts[7] else None


def _on(qualifier: str | None) -> str:
    return f" on {qualifier}" if qualifier and qualifier != LATEST else ""


# Resource policy --------------------------------------------------------------------------


def _entries(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PolicyError(f"principal entries must be strings, got {value!r}")


def principals(value: Any) -> list[tuple[str, str]]:
    """(kind, entry) for a statement's Principal; Lambda writes `"*"`, `{"AWS": ...}`,
    `{"Service": ...}`, and (moto) a bare account id or ARN string."""
    if value == "*":
        return [("AWS", "*")]
    if isinstance(value, str):
        return [("AWS", value)]
    if isinstance(value, dict) and value:
        return [(kind, entry) for kind, entries in value.items() for entry in _entries(entries)]
    raise PolicyError(f"unreadable Principal {value!r}")


def principal_account(entry: str) -> str | None:
    """The account of an `AWS` principal entry: a bare id or an IAM/STS ARN's account."""
    if entry.isdigit() and len(entry) == 12:
        return entry
    parts = entry.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] in ("iam", "sts"):
        return parts[4] or None
    return None


def _describe_statement(statement: Mapping[str, Any], index: int, qualifier: str | None) -> str:
    sid = statement.get("Sid")
    name = f"statement {sid!r}" if sid else f"statement {index}"
    resource = statement.get("Resource")
    target = qualifier_of(resource) if isinstance(resource, str) else None
    return f"resource policy {name}{_on(target or qualifier)}"


def _conditions(statement: Mapping[str, Any]) -> str:
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not condition:
        return ""
    keys = sorted({key for block in condition.values() if isinstance(block, dict) for key in block})
    return f" (conditions on {', '.join(keys)})" if keys else ""


def trigger_probes(exposure: FunctionExposure) -> list[tuple[str, dict[str, str]]]:
    """EventBridge requests the template's statement must refuse: a rule of another account,
    and a request naming no source at all."""
    rule = f"arn:{exposure.partition}:events:{exposure.region}:{OUTSIDE_ACCOUNT}:rule/any"
    return [
        (
            "a rule of another account",
            {"aws:SourceArn": rule, "aws:SourceAccount": OUTSIDE_ACCOUNT},
        ),
        ("a request naming no rule", {}),
    ]


def _trigger_scope(
    statement: Mapping[str, Any], service: str, exposure: FunctionExposure
) -> list[str]:
    """What an Allow statement for the trigger service admits that it must not."""
    resource = statement.get("Resource")
    target = resource if isinstance(resource, str) and "*" not in resource else exposure.arn
    document = {"Version": "2012-10-17", "Statement": [dict(statement)]}
    return [
        name
        for name, context in trigger_probes(exposure)
        if evaluate(
            document, Request(INVOKE, target, service, context), principal_required=True
        ).allowed
    ]


def check_statement(
    statement: Mapping[str, Any], index: int, policy: ResourcePolicy, exposure: FunctionExposure
) -> list[Reason]:
    if statement.get("Effect") != "Allow":
        return []  # a Deny only narrows
    where = _describe_statement(statement, index, policy.qualifier)
    actions = statement.get("Action", "?")
    what = ", ".join(actions) if isinstance(actions, list) else str(actions)
    conditions = _conditions(statement)
    if "Principal" not in statement:
        raise PolicyError(f"{where} names no Principal")
    reasons = []

    def lets(who: str) -> str:
        return f"{where} lets {who} call {what}{conditions}"

    for kind, entry in principals(statement["Principal"]):
        if kind == "AWS" and entry == "*":
            reasons.append(
                Reason(
                    "function-policy-anyone",
                    lets("anyone (*)") + ": any caller receives the function's output",
                )
            )
        elif kind == "AWS" and principal_account(entry) not in (None, exposure.account):
            reasons.append(
                Reason(
                    "function-policy-other-account",
                    lets(f"{entry} of account {principal_account(entry)}")
                    + ": a caller outside this account receives the function's output",
                )
            )
        elif kind == "Service" and entry in TRIGGER_PRINCIPALS:
            admitted = _trigger_scope(statement, entry, exposure)
            if admitted:
                reasons.append(
                    Reason(
                        "function-policy-trigger-unscoped",
                        lets(entry)
                        + f" for {' and '.join(admitted)}: it needs an aws:SourceArn condition "
                        "naming this account's rule, as the template's schedule writes",
                    )
                )
        elif kind == "Service":
            reasons.append(
                Reason(
                    "function-policy-service",
                    lets(entry) + ": the template's only invoker is EventBridge "
                    f"({', '.join(TRIGGER_PRINCIPALS)}); that service can hand the output on",
                )
            )
        else:
            reasons.append(
                Reason(
                    "function-policy-principal",
                    lets(f"{kind} principal {entry}")
                    + ": the template grants invoke to its trigger only",
                )
            )
    return reasons


def check_resource_policy(exposure: FunctionExposure) -> list[Reason]:
    """Each statement of each qualifier's policy, reported once (a statement Lambda shows
    under several qualifiers is the same grant)."""
    seen: set[str] = set()
    reasons: list[Reason] = []
    for policy in exposure.resource_policies:
        label = f"resource policy{_on(policy.qualifier)}"
        try:
            document = json.loads(policy.text)
            statements = document.get("Statement", [])
            statements = statements if isinstance(statements, list) else [statements]
            for index, statement in enumerate(statements):
                key = json.dumps(statement, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                reasons += check_statement(statement, index, policy, exposure)
        except (ValueError, AttributeError, PolicyError) as exc:
            reasons.append(
                Reason(
                    "function-policy-unreadable",
                    f"{label} cannot be evaluated ({exc}), so who may invoke the function is "
                    "not proven",
                )
            )
    return reasons


# Async invocation ----------------------------------------------------------------------


def check_async_destinations(configs: Iterable[InvokeConfig]) -> list[Reason]:
    reasons = []
    for config in sorted(configs, key=lambda c: c.function_arn):
        qualifier = qualifier_of(config.function_arn)
        for when, destination in (
            ("OnSuccess", config.on_success),
            ("OnFailure", config.on_failure),
        ):
            if destination:
                reasons.append(
                    Reason(
                        "async-destination",
                        f"async invoke configuration{_on(qualifier)} sends {when} invocation "
                        f"records to {destination}: the function's response or error leaves "
                        "the VPC through Lambda",
                    )
                )
    return reasons


def _by_version(found: Iterable[tuple[str, Reason]]) -> list[Reason]:
    """Each reason once: plain when $LATEST has it, else labelled with its versions."""
    versions_by_reason: dict[Reason, list[str]] = {}
    for version, reason in found:
        versions = versions_by_reason.setdefault(reason, [])
        if version not in versions:
            versions.append(version)
    out = []
    for reason, versions in versions_by_reason.items():
        if LATEST in versions:
            out.append(reason)
        else:
            label = "version" if len(versions) == 1 else "versions"
            out.append(Reason(reason.code, f"{label} {', '.join(versions)}: {reason.message}"))
    return out


def _ordered(versions: Iterable[VersionExtras]) -> list[VersionExtras]:
    def key(v: VersionExtras) -> tuple[int, int]:
        if v.version == LATEST:
            return (0, 0)
        return (1, int(v.version)) if v.version.isdigit() else (2, 0)

    return sorted(versions, key=key)


def check_dead_letters(versions: Iterable[VersionExtras]) -> list[Reason]:
    return _by_version(
        (
            v.version,
            Reason(
                "dead-letter-target",
                f"failed async events go to the dead-letter target {v.dead_letter_target}, "
                "with the function's error message: a way out of the VPC through Lambda",
            ),
        )
        for v in _ordered(versions)
        if v.dead_letter_target
    )


def check_layers(exposure: FunctionExposure) -> list[Reason]:
    return _by_version(
        (
            v.version,
            Reason(
                "layer-other-account",
                f"layer {layer} belongs to account {_arn_part(layer, 4) or '?'}, not "
                f"{exposure.account}: code no one here reviewed runs inside the function",
            ),
        )
        for v in _ordered(exposure.versions)
        for layer in v.layers
        if _arn_part(layer, 4) != exposure.account
    )


# The role -----------------------------------------------------------------------------


def self_change_targets(exposure: FunctionExposure) -> list[tuple[str, str]]:
    """(what, ARN): the function itself, and a `slackgate-*` function of no team (with the
    function's tags: another function its template deployed carries the same)."""
    base = f"arn:{exposure.partition}:lambda:{exposure.region}:{exposure.account}:function:"
    return [
        ("its own function", exposure.arn),
        (f"another {ROLE_PREFIX}* function", base + PROBE_FUNCTION),
    ]


def _readable(role: RolePolicies, probe: Request) -> list[Reason]:
    """Each policy on its own, so that an unreadable one is named."""
    reasons = []
    named = [*role.policies, *([role.boundary] if role.boundary else [])]
    for label, document in named:
        try:
            evaluate(document, probe)
        except PolicyError as exc:
            reasons.append(
                Reason(
                    "role-policy-unreadable",
                    f"role {role.name}: policy {label} cannot be evaluated ({exc}), so whether "
                    "the role can change its function is not proven",
                )
            )
    return reasons


def _worst_cases(named: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each policy as the caller who picks the request's parameters sees it
    (`caller_conditions.worst_case`); one left without statements allows nothing."""
    rewritten = [(label, worst_case(document)) for label, document in named]
    return [(label, d) for label, d in rewritten if not isinstance(d, dict) or d.get("Statement")]


def check_role(role: RolePolicies, exposure: FunctionExposure) -> list[Reason]:
    """May some request of the role's session change the function? Conditions on keys the
    caller chooses (`lambda:VpcIds`, request tags, ...) are met by an Allow and avoided by a
    Deny; the function's own account and tags are in the context, as AWS puts them."""
    if not role.policies:
        return []  # no identity policy: nothing is allowed
    session = RoleSession(
        account=_arn_part(role.arn, 4),
        name=role.name,
        path=role.path,
        tags=role.tags,
        partition=exposure.partition,
    )
    targets = self_change_targets(exposure)
    unreadable = _readable(role, session.request(SELF_CHANGE_ACTIONS[0], targets[0][1]))
    if unreadable:
        return unreadable
    identity = _worst_cases(role.policies)
    boundary = _worst_cases([role.boundary]) if role.boundary else None
    if not identity or boundary == []:
        return []  # nothing left that allows
    context = resource_context(exposure.account, exposure.tags)
    reasons = []
    for what, arn in targets:
        allowed: list[str] = []
        by: list[str] = []
        for action in SELF_CHANGE_ACTIONS:
            combined = decide(
                session.request(action, arn, **context),
                identity=[document for _, document in identity],
                boundary=boundary[0][1] if boundary else None,
            )
            if combined.allowed:
                allowed.append(action)
                by.append(_allowing(identity, combined.evaluations["identity"]))
        if allowed:
            reasons.append(
                Reason(
                    "role-can-change-function",
                    f"role {role.name} may {', '.join(allowed)} on {what} ({arn}), allowed by "
                    f"{', '.join(dict.fromkeys(by))}: code running as the function can undo its "
                    "own confinement",
                )
            )
    return reasons


def _allowing(identity: Sequence[tuple[str, Any]], evaluations: Sequence[Any]) -> str:
    for (label, _), evaluation in zip(identity, evaluations, strict=True):
        if evaluation.allowed:
            statement = f"Sid {evaluation.sid!r}" if evaluation.sid else f"{evaluation.index}"
            return f"{label} (statement {statement})"
    return "?"


def check_roles(exposure: FunctionExposure) -> list[Reason]:
    reasons: list[Reason] = []
    for role in sorted(exposure.roles, key=lambda r: r.arn):
        reasons += check_role(role, exposure)
    return reasons


# Together -------------------------------------------------------------------------------


def exposure_reasons(exposure: FunctionExposure) -> list[Reason]:
    return [
        *check_resource_policy(exposure),
        *check_async_destinations(exposure.invoke_configs),
        *check_dead_letters(exposure.versions),
        *check_layers(exposure),
        *check_roles(exposure),
    ]


def with_exposures(
    verdicts: Iterable[Verdict], exposures: Mapping[str, FunctionExposure]
) -> list[Verdict]:
    """The verdicts with each function's exposure reasons after its own."""
    out = []
    for verdict in verdicts:
        exposure = exposures.get(verdict.name)
        extra = tuple(exposure_reasons(exposure)) if exposure is not None else ()
        out.append(replace(verdict, reasons=verdict.reasons + extra) if extra else verdict)
    return out
