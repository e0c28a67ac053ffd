"""The documents to deploy, minified and measured against AWS's size limits.

AWS Organizations counts every character of an SCP or RCP against 5,120 and advises removing
white space outside quotation marks (Organizations User Guide, quotas and "SCP syntax"). IAM
counts a managed policy against 6,144 characters, white space not included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .boundary import BOUNDARY_NAME, deploy_boundary
from .functions import functions_scp
from .identity import identity_scp
from .network import network_scp
from .rcp import resource_control_policy
from .settings import GuardrailError, GuardrailSettings

SCP_MAX_CHARACTERS = 5120
RCP_MAX_CHARACTERS = 5120
MANAGED_POLICY_MAX_CHARACTERS = 6144
# AWS Organizations attaches at most five SCPs to one root, OU or account, FullAWSAccess
# included; three leave room for it and one more of the organisation's own.
SCP_KIND = "SERVICE_CONTROL_POLICY"
RCP_KIND = "RESOURCE_CONTROL_POLICY"


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """One policy to deploy: its name, Organizations type (or "IAM"), purpose and content."""

    name: str
    kind: str
    description: str
    content: dict[str, Any]

    @property
    def minified(self) -> str:
        return minify(self.content)


def minify(policy: dict[str, Any]) -> str:
    return json.dumps(policy, separators=(",", ":"), ensure_ascii=False)


def policy_size(policy: dict[str, Any]) -> int:
    """Characters as AWS counts them, white space outside strings removed."""
    return len(minify(policy))


def _limit(kind: str) -> int:
    return {SCP_KIND: SCP_MAX_CHARACTERS, RCP_KIND: RCP_MAX_CHARACTERS}.get(
        kind, MANAGED_POLICY_MAX_CHARACTERS
    )


def check_sizes(documents: list[PolicyDocument]) -> None:
    too_big = [
        f"{d.name}: {policy_size(d.content)} characters, over {_limit(d.kind)}"
        for d in documents
        if policy_size(d.content) > _limit(d.kind)
    ]
    if too_big:
        raise GuardrailError(
            "a policy is over AWS's size limit (fewer subnets, or split the policy):\n  "
            + "\n  ".join(too_big)
        )


def organization_policies(settings: GuardrailSettings) -> list[PolicyDocument]:
    """The SCPs, and the RCP in organisation mode (an organisation id is configured)."""
    documents = [
        PolicyDocument(
            "slackgate-team-functions",
            SCP_KIND,
            "slackgate: team functions run only in the gateway's VPC, subnets and security "
            "group; no URLs, other invokers, async destinations or foreign layers",
            functions_scp(settings),
        ),
        PolicyDocument(
            "slackgate-team-identity",
            SCP_KIND,
            "slackgate: the slackgate:team role tag is set only by the platform or the same "
            "team, on that team's roles; no team takes over another's roles",
            identity_scp(settings),
        ),
        PolicyDocument(
            "slackgate-gateway-network",
            SCP_KIND,
            "slackgate: only the platform changes the gateway's VPC, routes, endpoints, "
            "security groups, DNS firewall and published parameters",
            network_scp(settings),
        ),
    ]
    if settings.organization_id:
        documents.append(
            PolicyDocument(
                "slackgate-organisation-resources",
                RCP_KIND,
                "slackgate: the organisation's S3, SQS, KMS, Secrets Manager and STS "
                "resources admit only its principals and services acting for it",
                resource_control_policy(settings),
            )
        )
    check_sizes(documents)
    return documents


def boundary_policy(settings: GuardrailSettings, name: str = BOUNDARY_NAME) -> PolicyDocument:
    document = PolicyDocument(
        name,
        "IAM",
        "slackgate: the permissions boundary of team deploy roles (cdk bootstrap "
        "--custom-permissions-boundary) in an account without Organizations",
        deploy_boundary(settings, name),
    )
    check_sizes([document])
    return document
