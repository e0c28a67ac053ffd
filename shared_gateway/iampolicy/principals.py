"""Principal and NotPrincipal: who a resource-based or endpoint policy statement is about.

A request's principal is seen as layers, as AWS checks them: its account, then the IAM entity
(user or role), then for an assumed-role session the session itself. ``Principal`` matches when
any layer is named: an account (``arn:aws:iam::ACCOUNT:root`` or a bare id) covers every principal
of that account, a role ARN covers the role's sessions. ``NotPrincipal`` (Deny only) exempts a
request only when every layer is named, which is why AWS asks to list the account as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import ContextValue, PolicyError, Request
from .patterns import policy_strings

_ACCOUNT = re.compile(r"\d{12}")
_ARN = re.compile(r"arn:[\w-]+:(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)")


@dataclass(frozen=True)
class _Caller:
    """The layers of the request's principal, each as a comparable name."""

    account: str | None = None  # "111122223333"
    entity: str | None = None  # "role:111122223333:name", "service:<name>" or "arn:<arn>"
    session: str | None = None  # the assumed-role session ARN

    def layers(self) -> list[str]:
        return [layer for layer in (self.account, self.entity, self.session) if layer]


def _caller(principal: str) -> _Caller:
    if not principal:
        return _Caller()
    if not principal.startswith("arn:"):
        return _Caller(entity=f"service:{principal}")
    parsed = _ARN.fullmatch(principal)
    if parsed is None:
        return _Caller(entity=f"arn:{principal}")
    account, rest = parsed["account"], parsed["rest"]
    account_layer = f"account:{account}"
    if parsed["service"] == "sts" and rest.startswith("assumed-role/"):
        role_name = rest.split("/")[1]
        return _Caller(account_layer, f"role:{account}:{role_name}", f"session:{principal}")
    if rest == "root":
        return _Caller(account_layer)
    if rest.startswith("role/"):
        # A session ARN carries the role's name but not its path: compare by name.
        return _Caller(account_layer, f"role:{account}:{rest.rsplit('/', 1)[1]}")
    return _Caller(account_layer, f"arn:{principal}")


def _named(entry: str, where: str) -> str:
    """The layer an ``AWS`` principal entry names."""
    if _ACCOUNT.fullmatch(entry):
        return f"account:{entry}"
    if ("*" in entry or "?" in entry) and entry != "*":
        raise PolicyError(f"{where}: wildcards are not allowed inside a principal ({entry!r})")
    parsed = _ARN.fullmatch(entry)
    if parsed is None:
        raise PolicyError(
            f"{where}: {entry!r} is not an account id or an IAM/STS principal ARN "
            "(resolve CloudFormation references first)"
        )
    caller = _caller(entry)
    if parsed["rest"] == "root":
        return f"account:{parsed['account']}"
    if caller.session:
        return caller.session
    assert caller.entity is not None
    return caller.entity


@dataclass(frozen=True)
class PrincipalSpec:
    anyone: bool
    names: frozenset[str]

    def names_any_layer(self, principal: str) -> bool:
        return self.anyone or any(layer in self.names for layer in _caller(principal).layers())

    def names_every_layer(self, principal: str) -> bool:
        layers = _caller(principal).layers()
        return self.anyone or (bool(layers) and all(layer in self.names for layer in layers))


def parse_principal(value: Any, where: str) -> PrincipalSpec:
    # AWS documents "*" and {"AWS": "*"} as the same: everyone, anonymous callers included.
    if value == "*":
        return PrincipalSpec(True, frozenset())
    if not isinstance(value, dict) or not value:
        raise PolicyError(f'{where}: expected "*" or an object such as {{"AWS": [...]}}')
    anyone, names = False, set()
    for kind, entries in value.items():
        for entry in policy_strings(entries, f"{where} {kind}"):
            if kind == "AWS":
                if entry == "*":
                    anyone = True
                else:
                    names.add(_named(entry, where))
            elif kind == "Service":
                if "*" in entry or "?" in entry:
                    raise PolicyError(f"{where}: wildcards are not allowed in a service principal")
                names.add(f"service:{entry}")
            else:
                raise PolicyError(f"{where}: unsupported principal type {kind!r} (AWS, Service)")
    return PrincipalSpec(anyone, frozenset(names))


_PATH = re.compile(r"/(?:[\x21-\x7e]+/)?")


@dataclass(frozen=True)
class RoleSession:
    """A session of an IAM role, as AWS describes its caller to the policies it is checked by.

    ``principal`` is the session ARN (``arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION``, which
    carries no path); ``context()`` holds the keys AWS adds for every signed request of it:
    ``aws:PrincipalArn`` is the *role's* ARN, path included (IAM User Guide, "AWS global
    condition context keys": "For IAM roles, the request context returns the ARN of the role,
    not the ARN of the user that assumed the role"), ``aws:PrincipalAccount``,
    ``aws:PrincipalType``, and one ``aws:PrincipalTag/<key>`` per tag of the role (session tags,
    which override role tags of the same key, are given the same way).
    """

    account: str
    name: str
    path: str = "/"
    tags: Mapping[str, str] = field(default_factory=dict)
    session: str = "session"
    partition: str = "aws"

    def __post_init__(self) -> None:
        if not _ACCOUNT.fullmatch(self.account):
            raise PolicyError(f"role session: {self.account!r} is not a 12-digit account id")
        if not _PATH.fullmatch(self.path):
            raise PolicyError(f"role session: path {self.path!r} must start and end with /")

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role{self.path}{self.name}"

    @property
    def principal(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.name}/{self.session}"

    def context(self) -> dict[str, str]:
        return {
            "aws:PrincipalArn": self.role_arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "AssumedRole",
            **{f"aws:PrincipalTag/{key}": value for key, value in self.tags.items()},
        }

    def request(self, action: str, resource: str, **context: ContextValue) -> Request:
        """This session's request, with its keys and the request's own (``context``)."""
        return Request(action, resource, self.principal, {**self.context(), **context})
