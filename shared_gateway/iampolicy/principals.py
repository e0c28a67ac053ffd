"""Principal and NotPrincipal: who a resource-based or endpoint policy statement is about.

A request's principal is seen as layers, as AWS checks them: its account, then the IAM entity
(user or role), then for an assumed-role session the session itself. ``Principal`` matches when
any layer is named: an account (``arn:aws:iam::ACCOUNT:root`` or a bare id) covers every principal
of that account, a role ARN covers the role's sessions. ``NotPrincipal`` (Deny only) exempts a
request only when every layer is named, which is why AWS asks to list the account as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .model import PolicyError
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
