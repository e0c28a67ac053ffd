"""The id of an AWS-managed prefix list (S3's, DynamoDB's), looked up when the stack deploys.

A gateway endpoint is reached through the public address ranges of its service, which AWS
publishes as a managed prefix list per region (`com.amazonaws.<region>.s3`). The function
security group's egress must name that list's id (`pl-...`), and the id differs per region
and is not exposed by CloudFormation: no intrinsic, no attribute of AWS::EC2::VPCEndpoint,
no public SSM parameter. The choices were:

- `ec2.PrefixList.from_lookup`: a context lookup, so synthesis would need credentials and
  write `cdk.context.json`, while the gateway synthesizes offline;
- a table of ids per region in the code: unverifiable here, silently wrong in a region
  nobody checked, and stale when AWS adds one;
- a lookup at deploy time, in the account and region being deployed to: chosen. One
  read-only `ec2:DescribeManagedPrefixLists` call by CDK's AwsCustomResource provider
  (created only when S3 or DynamoDB is enabled). A name that matches no list fails the
  deployment (no id, no rule): it fails closed.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

PREFIX_LIST_ID = "PrefixLists.0.PrefixListId"


class ManagedPrefixList(Construct):
    """`prefix_list_id`: a deploy-time token for the id of the managed list named `name`."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str) -> None:
        super().__init__(scope, construct_id)
        call = cr.AwsSdkCall(
            service="EC2",
            action="describeManagedPrefixLists",
            parameters={"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            physical_resource_id=cr.PhysicalResourceId.from_response(PREFIX_LIST_ID),
            output_paths=[PREFIX_LIST_ID],  # the response carries nothing else we need
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Lookup",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    # Describe calls of EC2 support no resource-level permissions: "*" only.
                    iam.PolicyStatement(actions=["ec2:DescribeManagedPrefixLists"], resources=["*"])
                ]
            ),
            install_latest_aws_sdk=False,  # the runtime's SDK has the call; no npm at deploy
        )
        self.prefix_list_id = self.resource.get_response_field(PREFIX_LIST_ID)
