"""The resource control policy: the organisation's resources admit only its principals.

RCPs apply to a few services only: Amazon S3, AWS STS, AWS KMS, Amazon SQS and AWS Secrets
Manager (AWS Organizations / Control Tower documentation, "RCP controls"); Lambda is not among
them, which is why the SCP, not an RCP, guards team functions. This is the identity half of
`shared_gateway.perimeter` (aws:PrincipalOrgID) enforced on the resources themselves, so a
bucket or key policy that admits an outsider by mistake admits no one: services acting for
us pass when they act on behalf of our organisation (aws:SourceOrgID), as the AWS
data-perimeter examples do.
"""

from __future__ import annotations

from typing import Any

from .settings import GuardrailError, GuardrailSettings

RCP_SERVICES = ("s3", "sts", "kms", "sqs", "secretsmanager")
# STS actions an outside principal could use on our roles; AssumeRoleWithSAML and
# ...WithWebIdentity are left out: federated callers carry no aws:PrincipalOrgID.
STS_ACTIONS = ["sts:AssumeRole", "sts:GetFederationToken", "sts:GetSessionToken"]
DATA_ACTIONS = ["s3:*", "sqs:*", "kms:*", "secretsmanager:*"]


def resource_control_policy(settings: GuardrailSettings) -> dict[str, Any]:
    if not settings.organization_id:
        raise GuardrailError(
            "the resource control policy needs the organisation id: set slackgate:organizationId "
            "in shared_gateway/cdk.json (or pass --organization-id)"
        )
    org = settings.organization_id
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganisationPrincipalsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": [*DATA_ACTIONS, *STS_ACTIONS],
                "Resource": "*",
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:PrincipalOrgID": org},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            },
            {
                "Sid": "ServicesOnOurBehalfOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": [*DATA_ACTIONS, "sts:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:SourceOrgID": org},
                    "Null": {"aws:SourceAccount": "false"},
                    "Bool": {"aws:PrincipalIsAWSService": "true"},
                },
            },
        ],
    }
