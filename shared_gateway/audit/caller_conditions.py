"""A role's policies as seen by code running as the role, for the audit's "can the function's
role change its own function?" check (`function_checks.check_role`).

Evaluating the policies against a bare request is not enough there, in two ways:

- AWS adds keys the caller does not choose but that hold for the real function:
  `aws:ResourceAccount` and one `aws:ResourceTag/<key>` per tag of the function. Without them a
  statement such as `Allow lambda:* on * if aws:ResourceTag/slackgate:team = payments` looks
  harmless, while it allows exactly the team's own functions.
- Other keys are chosen by the caller, in the request's parameters: Lambda's own (`lambda:VpcIds`,
  `lambda:SubnetIds`, `lambda:Layer`, `lambda:FunctionUrlAuthType`, `lambda:Principal`, ...) and
  the request's tags (`aws:RequestTag/<key>`, `aws:TagKeys`). The question is whether *some*
  request is allowed, so a condition on one of them is one the caller meets when it allows
  (`Allow UpdateFunctionConfiguration if lambda:VpcIds = vpc-of-mine` moves the function out),
  and avoids when it denies.

`worst_case` rewrites a policy that way (a sound over-approximation: it may report a role that
could only make a harmless change, never miss one that can make any), and `resource_context`
gives the keys of the real function; both go to `shared_gateway.iampolicy` unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Condition keys (lower case: IAM compares them case-insensitively) whose value the caller
# picks in the request itself. `lambda:FunctionArn` is the resource, not chosen, but it is
# only sent for event source mappings, never for the actions the audit asks about.
CALLER_CHOSEN_PREFIXES = ("lambda:", "aws:requesttag/")
CALLER_CHOSEN_KEYS = frozenset({"aws:tagkeys"})


def caller_chosen(key: str) -> bool:
    lowered = key.lower()
    return lowered in CALLER_CHOSEN_KEYS or lowered.startswith(CALLER_CHOSEN_PREFIXES)


def _chosen_keys(condition: Any) -> bool:
    return isinstance(condition, Mapping) and any(
        caller_chosen(key)
        for block in condition.values()
        if isinstance(block, Mapping)
        for key in block
    )


def _without_chosen(condition: Mapping[str, Any]) -> dict[str, Any]:
    kept = {
        operator: {key: value for key, value in block.items() if not caller_chosen(key)}
        if isinstance(block, Mapping)
        else block
        for operator, block in condition.items()
    }
    return {operator: block for operator, block in kept.items() if block != {}}


def worst_case_statement(statement: Any) -> Any | None:
    """An Allow loses its conditions on caller-chosen keys (the caller meets them); a Deny
    conditioned on one is dropped (None: the caller avoids it). Anything else is unchanged,
    so the evaluator still refuses what it cannot read."""
    if not isinstance(statement, Mapping) or not _chosen_keys(statement.get("Condition")):
        return statement
    if statement.get("Effect") == "Deny":
        return None
    rewritten = {k: v for k, v in statement.items() if k != "Condition"}
    condition = _without_chosen(statement["Condition"])
    if condition:
        rewritten["Condition"] = condition
    return rewritten


def worst_case(policy: Any) -> Any:
    """A policy document (or a list of statements) as the caller who picks the request's
    parameters sees it; see `worst_case_statement`."""
    if isinstance(policy, list):
        return [s for s in map(worst_case_statement, policy) if s is not None]
    if not isinstance(policy, Mapping) or "Statement" not in policy:
        return policy
    statements = policy["Statement"]
    listed = statements if isinstance(statements, list) else [statements]
    return {**policy, "Statement": worst_case(listed)}


def resource_context(account: str, tags: Mapping[str, str]) -> dict[str, str]:
    """What AWS puts in the request context about the function itself."""
    return {
        "aws:ResourceAccount": account,
        **{f"aws:ResourceTag/{key}": value for key, value in tags.items()},
    }
