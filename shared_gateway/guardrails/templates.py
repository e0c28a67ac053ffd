"""CloudFormation templates: the organisation's policies, and the single-account boundary."""

from __future__ import annotations

import re
from typing import Any

from .documents import PolicyDocument

TEMPLATE_VERSION = "2010-09-09"


def _logical_id(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def organization_template(documents: list[PolicyDocument]) -> dict[str, Any]:
    """AWS::Organizations::Policy resources attached to the roots, OUs or accounts given.

    Deploy it in the management account or a delegated administrator for policy management.
    The content is the minified JSON string, so what AWS stores is what was measured.
    """
    resources = {
        _logical_id(document.name): {
            "Type": "AWS::Organizations::Policy",
            "Properties": {
                "Name": document.name,
                "Description": document.description,
                "Type": document.kind,
                "Content": document.minified,
                "TargetIds": {"Ref": "TargetIds"},
            },
        }
        for document in documents
    }
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": "slackgate guard rails: service (and resource) control policies",
        "Parameters": {
            "TargetIds": {
                "Type": "CommaDelimitedList",
                "Description": "Roots (r-...), OUs (ou-...) or accounts the policies attach to: "
                "the gateway's account and the accounts of team functions",
            }
        },
        "Resources": resources,
        "Outputs": {f"{logical_id}Id": {"Value": {"Ref": logical_id}} for logical_id in resources},
    }


def boundary_template(document: PolicyDocument) -> dict[str, Any]:
    """The boundary as a customer managed policy, named for `cdk bootstrap`."""
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": "slackgate guard rails: permissions boundary of team deploy roles "
        f"(cdk bootstrap --custom-permissions-boundary {document.name})",
        "Resources": {
            "DeployBoundary": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": document.name,
                    "Description": document.description,
                    "PolicyDocument": document.content,
                },
            }
        },
        "Outputs": {"DeployBoundaryArn": {"Value": {"Ref": "DeployBoundary"}}},
    }
