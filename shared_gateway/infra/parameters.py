"""The SSM parameters team stacks read at deploy time (the contract in DESIGN.md)."""

from __future__ import annotations

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
    ) -> None:
        super().__init__(scope, construct_id)
        self.names: dict[str, str] = {}

        def publish(construct_name: str, name: str, value: str, description: str) -> None:
            self.names[construct_name] = f"{prefix}/{name}"
            ssm.StringParameter(
                self,
                construct_name,
                parameter_name=f"{prefix}/{name}",
                string_value=value,
                description=description,
            )

        publish("VpcId", "network/vpc-id", vpc_id, "slackgate VPC (isolated subnets only)")
        self.names["SubnetIds"] = f"{prefix}/network/subnet-ids"
        ssm.StringListParameter(
            self,
            "SubnetIds",
            parameter_name=f"{prefix}/network/subnet-ids",
            string_list_value=subnet_ids,
            description="slackgate isolated subnets for team functions",
        )
        publish(
            "FunctionSgId",
            "network/function-sg-id",
            function_sg_id,
            "security group every slackgate team function gets",
        )
        publish("ApiUrl", "api/url", api_url, "slackgate relay base URL (POST <url>/v1/messages)")
        publish("ApiId", "api/id", api_id, "slackgate relay REST API id")
