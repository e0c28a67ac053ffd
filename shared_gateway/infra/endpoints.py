"""The interface endpoints team functions may use: execute-api (the relay) and CloudWatch Logs."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from .network import Network


# Until the relay-only policy is applied (endpoint_policy.py), the endpoint admits nothing.
def deny_all() -> iam.PolicyStatement:
    return iam.PolicyStatement(
        effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["*"], resources=["*"]
    )


class Endpoints(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, network: Network) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        def endpoint(name: str, service: ec2.InterfaceVpcEndpointAwsService):
            return network.vpc.add_interface_endpoint(
                name,
                service=service,
                private_dns_enabled=True,  # the usual host names resolve to the endpoint
                subnets=ec2.SubnetSelection(subnets=network.subnets.subnets),
                security_groups=[network.endpoint_sg],
                open=False,  # no VPC-wide ingress rule: only the function group may connect
            )

        self.execute_api = endpoint("ExecuteApi", ec2.InterfaceVpcEndpointAwsService.APIGATEWAY)
        self.execute_api.add_to_policy(deny_all())

        self.logs = endpoint("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS)
        # Logs may be written by this account's principals to this account's log groups only.
        self.logs.add_to_policy(
            iam.PolicyStatement(
                principals=[iam.AnyPrincipal()],
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[
                    f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                ],
                conditions={
                    "StringEquals": {
                        "aws:PrincipalAccount": stack.account,
                        "aws:ResourceAccount": stack.account,
                    }
                },
            )
        )
