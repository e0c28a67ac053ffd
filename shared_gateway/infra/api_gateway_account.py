"""Opt-in (`slackgate:apiGatewayAccountRole`): the account's API Gateway CloudWatch Logs role.

API Gateway writes a stage's access logs with ONE role per account and region, the
`cloudwatchRoleArn` of its account settings; without it, creating a stage with access logging
fails ("CloudWatch Logs role ARN must be set in account settings to enable logging"). That
setting is account-wide: every REST API of the account and region logs through it. So by default
this stack does not touch it and `make gateway-preflight` checks that it is set. With the
setting true, the stack creates the role (AWS's managed policy
AmazonAPIGatewayPushToCloudWatchLogs) and the `AWS::ApiGateway::Account` resource that points the
account at it, replacing any role set before. Both are RETAINED when the stack is deleted:
CloudFormation cannot give the setting back, and deleting the role would break every other API
of the account that logs through it.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

PUSH_TO_LOGS = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


class ApiGatewayAccount(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway: writes the account's REST API logs to CloudWatch Logs",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_LOGS)],
        )
        self.role.apply_removal_policy(RemovalPolicy.RETAIN)
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
