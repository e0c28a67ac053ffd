"""The role's policies for the resources declared in infra/settings.py (none if none are).

The statements come from ``grants`` with CloudFormation's pseudo parameters, so every ARN is
the deploying account's, in its partition and region. Each wildcard a declaration needs is
acknowledged for cdk-nag with its reason, on the policy that holds it.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import grants
from .compliance import AWS_SOLUTIONS, acknowledge
from .resources import DataAccess

DEPLOY_TIME = grants.Arns(Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID)
# How cdk-nag spells the same ARNs in its finding ids.
AS_NAG_SPELLS_THEM = grants.Arns("<AWS::Partition>", "<AWS::Region>", "<AWS::AccountId>")


def add_data_policies(
    scope: Construct, access: DataAccess, role_name: str
) -> list[iam.ManagedPolicy]:
    if not access:
        return []
    statements = grants.statements(access, DEPLOY_TIME)
    spelled = grants.statements(access, AS_NAG_SPELLS_THEM)
    reasons = grants.wildcards(access, AS_NAG_SPELLS_THEM)
    policies = []
    for number, group in enumerate(grants.policy_groups(access), start=1):
        policy = iam.ManagedPolicy(
            scope,
            "DataAccessPolicy" if number == 1 else f"DataAccessPolicy{number}",
            description=f"{role_name}: read (and write) exactly the resources it declares",
            statements=[iam.PolicyStatement.from_json(statements[index]) for index in group],
        )
        held = {arn for index in group for arn in spelled[index]["Resource"]}
        acknowledge(
            policy,
            {
                f"{AWS_SOLUTIONS}-IAM5[Resource::{arn}]": reason
                for arn, reason in reasons.items()
                if arn in held
            },
        )
        policies.append(policy)
    return policies
