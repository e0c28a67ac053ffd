"""The SSM parameters team stacks read at deploy time (the contract in docs/contracts.md)."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_ssm as ssm
from constructs import Construct


class PublishedParameters(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        vpc_id: str,
        subnet_ids: list[str],
        function_sg_id: str,
        api_url: str,
        api_id: str,
        services: list[str],
        organization_id: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.names: dict[str, str] = {}

        def publish(
            construct_name: str, name: str, value: str | list[str], description: str
        ) -> None:
            """A String parameter, or a StringList one when `value` is a list."""
            parameter_name = self.names[construct_name] = f"{prefix}/{name}"
            if isinstance(value, list):
                ssm.StringListParameter(
                    self,
                    construct_name,
                    parameter_name=parameter_name,
                    string_list_value=value,
                    description=description,
                )
            else:
                ssm.StringParameter(
                    self,
                    construct_name,
                    parameter_name=parameter_name,
                    string_value=value,
                    description=description,
                )

        publish("VpcId", "network/vpc-id", vpc_id, "slackgate VPC (isolated subnets only)")
        publish(
            "SubnetIds",
            "network/subnet-ids",
            subnet_ids,
            "slackgate isolated subnets for team functions",
        )
        # Team stacks and the audit read which endpoints functions have (always-on first).
        publish(
            "Services",
            "network/services",
            services,
            "AWS services slackgate team functions may reach through VPC endpoints",
        )
        if organization_id:
            # The audit proves the deployed endpoint policies against this organisation; an
            # SSM value cannot be empty, so account mode publishes none (and the audit then
            # proves the account perimeter, which an organisation policy fails: fail-safe).
            publish(
                "OrganizationId",
                "network/organization-id",
                organization_id,
                "organisation whose principals and resources the slackgate endpoints admit",
            )
        publish(
            "FunctionSgId",
            "network/function-sg-id",
            function_sg_id,
            "security group every slackgate team function gets",
        )
        publish("ApiUrl", "api/url", api_url, "slackgate relay base URL (POST <url>/v1/messages)")
        publish("ApiId", "api/id", api_id, "slackgate relay REST API id")
        # The API's account (this stack's): a team stack in another account of the
        # organisation builds the relay route's execute-api ARN from it, not from its own.
        publish(
            "ApiAccount", "api/account", Aws.ACCOUNT_ID, "AWS account of the slackgate relay API"
        )
