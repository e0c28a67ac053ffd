"""What the guard rails are written for: the gateway's network, account and platform principals."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..infra.config import GatewayConfig

VPC_ID = re.compile(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8}([0-9a-f]{9})?")
PRINCIPAL_PATTERN = re.compile(r"arn:aws[\w-]*:iam::(\*|[0-9]{12}):role/[\w+=,.@*/-]+")
# CDK bootstrap qualifiers are at most 10 lowercase letters and digits.
QUALIFIER = re.compile(r"[a-z0-9]{1,10}")
# The gateway's own CDK bootstrap: a qualifier of its own, so that team deployments (which use
# the default bootstrap, or one per team) never run as the role the guard rails exempt.
DEFAULT_QUALIFIER = "slackgate"
TEAM_TAG = "slackgate:team"
# infra.stack.STACK_NAME (not imported: that module loads the CDK); a test keeps them equal.
GATEWAY_STACK = "slackgate-gateway"
# StackSets' execution role in every target account (service-managed permissions, CloudFormation
# User Guide, "Configure a custom execution role template for StackSets"). In organisation mode
# it creates the member stack (the parameter copies, the account's function group in the shared
# VPC), so the guard rails count it among the platform's principals.
STACKSET_EXECUTION_ROLES = "arn:aws:iam::*:role/stacksets-exec-*"


class GuardrailError(ValueError):
    """A setting the guard rails cannot be written with; the message says how to fix it."""


def bootstrap_roles(qualifier: str) -> str:
    """Every role of a CDK bootstrap with this qualifier (deploy, cfn-exec, publishing, lookup)."""
    return f"arn:aws:iam::*:role/cdk-{qualifier}-*"


@dataclass(frozen=True, slots=True)
class GuardrailSettings:
    """The values the policies condition on.

    `platform_principals` are role ARN patterns (aws:PrincipalArn, ArnLike) that may change the
    gateway's network, set any team tag and manage the gateway's own functions: the gateway's
    CDK bootstrap roles (its CloudFormation execution role does the changes) and the operators
    who deploy it. Everyone else, team deploy roles included, is bound.
    """

    account: str
    region: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str
    prefix: str = "/slackgate"
    organization_id: str = ""
    qualifier: str = DEFAULT_QUALIFIER
    operators: tuple[str, ...] = ()
    gateway_stack: str = GATEWAY_STACK

    def __post_init__(self) -> None:
        problems = []
        if not VPC_ID.fullmatch(self.vpc_id):
            problems.append(f"VPC id {self.vpc_id!r} is not like vpc-0123456789abcdef0")
        if not self.subnet_ids:
            problems.append("no subnet id: give the gateway's isolated subnets")
        problems += [
            f"subnet id {s!r} is not like subnet-0123456789abcdef0"
            for s in self.subnet_ids
            if not SUBNET_ID.fullmatch(s)
        ]
        if not SECURITY_GROUP_ID.fullmatch(self.security_group_id):
            problems.append(
                f"security group id {self.security_group_id!r} is not like sg-0123456789abcdef0"
            )
        if not QUALIFIER.fullmatch(self.qualifier):
            problems.append(
                f"CDK qualifier {self.qualifier!r}: use 1-10 lowercase letters and digits"
            )
        problems += [
            f"operator {p!r} is not a role ARN pattern like "
            "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Platform_*"
            for p in self.operators
            if not PRINCIPAL_PATTERN.fullmatch(p)
        ]
        if problems:
            raise GuardrailError("cannot write the guard rails:\n  " + "\n  ".join(problems))

    @classmethod
    def for_gateway(
        cls,
        config: GatewayConfig,
        *,
        vpc_id: str,
        subnet_ids: Iterable[str],
        security_group_id: str,
        qualifier: str = DEFAULT_QUALIFIER,
        operators: Iterable[str] = (),
    ) -> GuardrailSettings:
        """The settings for this gateway (cdk.json) and the network it published."""
        return cls(
            account=config.account,
            region=config.region,
            vpc_id=vpc_id.strip(),
            subnet_ids=tuple(sorted({s.strip() for s in subnet_ids if s.strip()})),
            security_group_id=security_group_id.strip(),
            prefix=config.prefix,
            organization_id=config.organization_id,
            qualifier=qualifier,
            operators=tuple(operators),
        )

    @property
    def platform_principals(self) -> list[str]:
        """The exempt role patterns; the StackSets role only where there are member stacks."""
        return self.principals(member_stacks=True)

    def principals(self, *, member_stacks: bool) -> list[str]:
        """The platform's role patterns, with or without the member stacks' StackSets role."""
        stacksets = [STACKSET_EXECUTION_ROLES] if self.organization_id and member_stacks else []
        operators = [p for p in self.operators if p != STACKSET_EXECUTION_ROLES]
        return [bootstrap_roles(self.qualifier), *stacksets, *operators]

    @property
    def vpc_arn(self) -> str:
        return f"arn:aws:ec2:*:*:vpc/{self.vpc_id}"

    def not_platform(self, *, member_stacks: bool = True) -> dict[str, dict[str, list[str]]]:
        """The condition that exempts the platform's principals from a Deny.

        `member_stacks=False` leaves the StackSets role out, for rules on what the member
        stack never does (it creates no function), which also keeps the SCP under its size
        limit."""
        principals = self.principals(member_stacks=member_stacks)
        return {"ArnNotLike": {"aws:PrincipalArn": principals}}
