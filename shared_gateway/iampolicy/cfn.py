"""Resolve the CloudFormation intrinsics of a synthesized template, so policies can be evaluated.

``refs`` maps logical ids (``Ref``), ``"LogicalId.Attribute"`` (``Fn::GetAtt``, ``${X.Attr}``) and
pseudo parameters (``AWS::AccountId``, ``AWS::Partition``, ``AWS::Region``, ``AWS::URLSuffix``)
to values. A reference missing from ``refs`` raises KeyError naming it; an intrinsic not handled
here (``Fn::If``, ``Fn::ImportValue``, ...) raises CfnError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any


class CfnError(ValueError):
    """An intrinsic function this resolver does not handle, or one written wrongly."""


_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


def _lookup(refs: Mapping[str, Any], name: str, how: str) -> Any:
    if name not in refs:
        raise KeyError(f"{how} {name!r} is not in refs; add it (known: {sorted(refs)})")
    return refs[name]


def _ref(argument: Any, refs: Mapping[str, Any]) -> Any:
    if not isinstance(argument, str):
        raise CfnError(f"Ref takes a logical id, got {argument!r}")
    return _lookup(refs, argument, "Ref")


def _get_att(argument: Any, refs: Mapping[str, Any]) -> Any:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    if not (isinstance(argument, list) and len(argument) == 2):
        raise CfnError(f"Fn::GetAtt takes [LogicalId, Attribute], got {argument!r}")
    logical_id, attribute = (resolve_cfn(part, refs) for part in argument)
    return _lookup(refs, f"{logical_id}.{attribute}", "Fn::GetAtt")


def _join(argument: Any, refs: Mapping[str, Any]) -> str:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise CfnError(f"Fn::Join takes [separator, [values]], got {argument!r}")
    separator, values = resolve_cfn(argument[0], refs), resolve_cfn(argument[1], refs)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in [separator, *values]):
        raise CfnError(f"Fn::Join needs a string separator and a list of strings, got {argument!r}")
    return separator.join(values)


def _sub(argument: Any, refs: Mapping[str, Any]) -> str:
    variables: Mapping[str, Any] = {}
    if isinstance(argument, list):
        if len(argument) != 2 or not isinstance(argument[1], dict):
            raise CfnError(f"Fn::Sub takes a string or [string, {{variables}}], got {argument!r}")
        argument, variables = argument[0], argument[1]
    if not isinstance(argument, str):
        raise CfnError(f"Fn::Sub takes a string, got {argument!r}")

    def replace(found: re.Match[str]) -> str:
        literal, name = found.group(1), found.group(2)
        if literal:  # ${!Name} writes ${Name}
            return "${" + name + "}"
        value = (
            resolve_cfn(variables[name], refs)
            if name in variables
            else _lookup(refs, name, "Fn::Sub variable")
        )
        if not isinstance(value, str):
            raise CfnError(f"Fn::Sub variable {name!r} resolved to {value!r}, not a string")
        return value

    return _SUB_VARIABLE.sub(replace, argument)


def _select(argument: Any, refs: Mapping[str, Any]) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise CfnError(f"Fn::Select takes [index, [values]], got {argument!r}")
    index, values = resolve_cfn(argument[0], refs), resolve_cfn(argument[1], refs)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise CfnError(f"Fn::Select index {index!r} is not a number") from None
    if not isinstance(values, list) or not 0 <= position < len(values):
        raise CfnError(f"Fn::Select index {position} is outside {values!r}")
    return values[position]


def _split(argument: Any, refs: Mapping[str, Any]) -> list[str]:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise CfnError(f"Fn::Split takes [delimiter, string], got {argument!r}")
    delimiter, source = resolve_cfn(argument[0], refs), resolve_cfn(argument[1], refs)
    if not (isinstance(delimiter, str) and delimiter and isinstance(source, str)):
        raise CfnError(f"Fn::Split needs a delimiter and a string, got {argument!r}")
    return source.split(delimiter)


_INTRINSICS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::Select": _select,
    "Fn::Split": _split,
}


def resolve_cfn(value: Any, refs: Mapping[str, Any]) -> Any:
    """``value`` with every supported intrinsic replaced by its value, recursively."""
    if isinstance(value, list):
        return [resolve_cfn(item, refs) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name in _INTRINSICS:
            return _INTRINSICS[name](argument, refs)
        if name.startswith("Fn::") or (name == "Condition" and isinstance(argument, str)):
            raise CfnError(f"unsupported intrinsic {name}; supported: {', '.join(_INTRINSICS)}")
    return {key: resolve_cfn(item, refs) for key, item in value.items()}
