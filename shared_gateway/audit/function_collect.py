"""AWS adapter for `function_checks`: resource policies, async invoke configurations and the
functions' roles, read with Lambda and IAM.

Lambda has no account-wide listing of these, so they cost calls per function (aliases, one
GetPolicy per qualifier, the invoke configurations), made concurrently like the tags and URLs
in `collect.py`. Roles are read once each, whatever the number of functions using them, and
a managed policy once whatever the number of roles it is attached to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from shared_gateway.audit.checks import LATEST, role_name
from shared_gateway.audit.collect import concurrently
from shared_gateway.audit.function_checks import (
    FunctionExposure,
    InvokeConfig,
    ResourcePolicy,
    RolePolicies,
    VersionExtras,
)

NOT_FOUND = ("ResourceNotFoundException", "NoSuchEntity")


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def collect_exposures(
    lambda_client: Any,
    iam: Any,
    configs_by_name: Mapping[str, Sequence[Mapping[str, Any]]],
    arns: Mapping[str, str],
    tags: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, FunctionExposure]:
    """The exposure of each function in `configs_by_name` (every version's configuration, as
    ListFunctions(FunctionVersion=ALL) returned it); `arns` are their unqualified ARNs and
    `tags` their tags (as ListTags gave them)."""
    names = list(configs_by_name)
    per_function = dict(
        zip(
            names,
            concurrently(
                lambda name: _lambda_side(lambda_client, name, configs_by_name[name]), names
            ),
            strict=True,
        )
    )
    role_arns = sorted(
        {cfg.get("Role", "") for cfgs in configs_by_name.values() for cfg in cfgs} - {""}
    )
    reader = RoleReader(iam)
    roles = dict(zip(role_arns, concurrently(reader.read, role_arns), strict=True))
    exposures = {}
    for name in names:
        policies, invoke_configs = per_function[name]
        used = sorted({cfg.get("Role", "") for cfg in configs_by_name[name]} - {""})
        exposures[name] = FunctionExposure(
            name=name,
            arn=arns[name],
            resource_policies=policies,
            invoke_configs=invoke_configs,
            versions=tuple(to_extras(cfg) for cfg in configs_by_name[name]),
            roles=tuple(roles[arn] for arn in used if roles[arn] is not None),
            tags=dict((tags or {}).get(name, {})),
        )
    return exposures


def to_extras(cfg: Mapping[str, Any]) -> VersionExtras:
    layers = tuple(layer.get("Arn", "") for layer in cfg.get("Layers") or [] if layer.get("Arn"))
    target = (cfg.get("DeadLetterConfig") or {}).get("TargetArn") or None
    return VersionExtras(
        version=cfg.get("Version", LATEST), layers=layers, dead_letter_target=target
    )


def _lambda_side(
    lambda_client: Any, name: str, configs: Sequence[Mapping[str, Any]]
) -> tuple[tuple[ResourcePolicy, ...], tuple[InvokeConfig, ...]]:
    versions = [cfg.get("Version", LATEST) for cfg in configs]
    qualifiers: list[str | None] = [None, *(v for v in versions if v != LATEST)]
    qualifiers += list_aliases(lambda_client, name)
    policies = tuple(
        policy
        for qualifier in qualifiers
        if (policy := get_policy(lambda_client, name, qualifier)) is not None
    )
    return policies, list_invoke_configs(lambda_client, name)


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[Mapping[str, Any]]:
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**kwargs):
        yield from page.get(key, [])


def list_aliases(lambda_client: Any, name: str) -> list[str]:
    """Each alias can carry its own resource policy."""
    try:
        return [
            a["Name"] for a in _pages(lambda_client, "list_aliases", "Aliases", FunctionName=name)
        ]
    except lambda_client.exceptions.ResourceNotFoundException:
        return []


def get_policy(lambda_client: Any, name: str, qualifier: str | None) -> ResourcePolicy | None:
    """The policy of the function or a qualifier; None when it has none (Lambda answers
    ResourceNotFoundException) or the function is gone."""
    kwargs = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    try:
        answer = lambda_client.get_policy(**kwargs)
    except lambda_client.exceptions.ResourceNotFoundException:
        return None
    return ResourcePolicy(qualifier=qualifier, text=answer.get("Policy") or "")


def list_invoke_configs(lambda_client: Any, name: str) -> tuple[InvokeConfig, ...]:
    """Every qualifier's async invoke configuration, in one paginated listing."""
    try:
        raw = list(
            _pages(
                lambda_client,
                "list_function_event_invoke_configs",
                "FunctionEventInvokeConfigs",
                FunctionName=name,
            )
        )
    except lambda_client.exceptions.ResourceNotFoundException:
        return ()
    return tuple(
        InvokeConfig(
            function_arn=cfg.get("FunctionArn", ""),
            on_success=((cfg.get("DestinationConfig") or {}).get("OnSuccess") or {}).get(
                "Destination"
            ),
            on_failure=((cfg.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                "Destination"
            ),
        )
        for cfg in raw
    )


def policy_document(value: Any) -> Any:
    """IAM returns documents URL-encoded; boto3 usually decodes them already."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


class RoleReader:
    """Reads roles with their inline, attached and boundary policies; managed policies are
    fetched once (several roles often share them)."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        self._managed: dict[str, Any] = {}
        self._lock = threading.Lock()

    def read(self, role_arn: str) -> RolePolicies | None:
        """None when the role no longer exists (the function cannot run as it)."""
        name = role_name(role_arn)
        try:
            role = self.iam.get_role(RoleName=name)["Role"]
            inline = [
                (f"inline {policy}", self._inline(name, policy))
                for policy in _pages(self.iam, "list_role_policies", "PolicyNames", RoleName=name)
            ]
            attached = [
                (f"attached {p['PolicyArn']}", self.managed(p["PolicyArn"]))
                for p in _pages(
                    self.iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name
                )
            ]
        except Exception as error:
            if _code(error) in NOT_FOUND:
                return None
            raise
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return RolePolicies(
            arn=role.get("Arn", role_arn),
            path=role.get("Path", "/"),
            tags={t["Key"]: t["Value"] for t in role.get("Tags") or []},
            policies=(*inline, *attached),
            boundary=(f"boundary {boundary_arn}", self.managed(boundary_arn))
            if boundary_arn
            else None,
        )

    def _inline(self, role: str, policy: str) -> Any:
        answer = self.iam.get_role_policy(RoleName=role, PolicyName=policy)
        return policy_document(answer["PolicyDocument"])

    def managed(self, arn: str) -> Any:
        with self._lock:
            if arn in self._managed:
                return self._managed[arn]
        version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        answer = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)
        document = policy_document(answer["PolicyVersion"]["Document"])
        with self._lock:
            self._managed[arn] = document
        return document
