"""The request, the decision and the error: the evaluator's vocabulary."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ContextValue = str | bool | int | Sequence[str]


class PolicyError(ValueError):
    """A policy (or request) uses something this evaluator does not support or that AWS rejects.

    Raised instead of guessing: an evaluator that guessed could report "allowed" or "denied" for a
    policy that AWS would read differently.
    """


@dataclass(frozen=True)
class Request:
    """One API call as the policies see it.

    ``principal`` is the calling principal's ARN (``arn:aws:iam::111122223333:role/x``, or its
    session ``arn:aws:sts::111122223333:assumed-role/x/session``), a service principal such as
    ``lambda.amazonaws.com``, or "" for an anonymous caller. ``context`` holds the condition keys
    (case-insensitive names); a list value is a multivalued key (``aws:PrincipalOrgPaths``).
    """

    action: str
    resource: str
    principal: str = ""
    context: Mapping[str, ContextValue] = field(default_factory=dict)


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` found: the decision and the statement that made it.

    ``index`` is the position of the deciding statement in the policy and ``sid`` its Sid (None
    when it has none); both are None for an implicit deny, which no statement decides. For an
    explicit deny it is the first matching Deny statement; for an allow, the first matching Allow.
    """

    decision: Decision
    sid: str | None = None
    index: int | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def __str__(self) -> str:
        if self.index is None:
            return self.decision.value
        return f"{self.decision.value} by statement {self.index} (Sid {self.sid!r})"
