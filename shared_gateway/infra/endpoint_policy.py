"""The execute-api endpoint's policy: invoke the relay API, and no other API anywhere.

The policy names the API, and the API's resource policy names the endpoint, so setting
it on the endpoint resource itself would be a circular dependency. It is applied right
after the API exists, with `ec2:ModifyVpcEndpoint` from a custom resource; until then the
endpoint carries a deny-all policy (fail closed). The call re-runs whenever the policy
text changes.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct


def cr_singleton_id() -> str:
    """Construct id of the stack-level function CDK shares between AwsCustomResources."""
    return "AWS679f53fac002430cb0da5b7982bd2287"


def relay_only_policy(api: apigw.IRestApi) -> iam.PolicyDocument:
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="RelayApiOnly",
                principals=[iam.AnyPrincipal()],
                actions=["execute-api:Invoke"],
                resources=[api.arn_for_execute_api("*", "/*", "*")],
            )
        ]
    )


class EndpointPolicy(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: ec2.InterfaceVpcEndpoint,
        api: apigw.IRestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.document = relay_only_policy(api)
        call = cr.AwsSdkCall(
            service="EC2",
            action="modifyVpcEndpoint",
            parameters={
                "VpcEndpointId": endpoint.vpc_endpoint_id,
                "PolicyDocument": stack.to_json_string(self.document.to_json()),
            },
            physical_resource_id=cr.PhysicalResourceId.of(endpoint.vpc_endpoint_id),
        )
        endpoint_arn = stack.format_arn(
            service="ec2", resource="vpc-endpoint", resource_name=endpoint.vpc_endpoint_id
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Apply",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ec2:ModifyVpcEndpoint"], resources=[endpoint_arn])]
            ),
            install_latest_aws_sdk=False,  # the runtime's SDK has the call; no npm at deploy
        )
