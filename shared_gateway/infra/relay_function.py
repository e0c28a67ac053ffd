"""The relay function: outside the VPC (it must reach Slack), reading only its channels' secrets."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..relay.shared_ratelimit import TABLE_ENV
from .bundling import BUNDLED_REGISTRY_NAME, HANDLER, relay_runtime_name, staged_relay_code
from .config import GatewayConfig
from .log_groups import encrypted_log_group


class RelayFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: GatewayConfig,
        secret_arns: list[str],
        rate_table: dynamodb.ITable,
        key: kms.IKey,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = encrypted_log_group(self, "Logs", key=key, retention=retention)
        # A customer-managed policy rather than the AWS-managed basic execution role: logs
        # to its own group only, the webhook secrets of the registry's channels only, and
        # one write action on the rate-limit table (no read, scan or delete).
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="slackgate relay: own log group, channel webhook secrets, rate counts",
            statements=[
                iam.PolicyStatement(
                    sid="OwnLogGroup",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="ChannelWebhooks",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=secret_arns,
                ),
                iam.PolicyStatement(
                    sid="DecryptChannelWebhooks",
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"
                        }
                    },
                ),
                iam.PolicyStatement(
                    sid="CountTeamMessages",
                    actions=["dynamodb:UpdateItem"],
                    resources=[rate_table.table_arn],
                ),
                # DynamoDB decrypts the table key with the gateway key on behalf of the
                # principal that accesses the table.
                iam.PolicyStatement(
                    sid="DecryptRateCounts",
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.amazonaws.com"}
                    },
                ),
            ],
        )
        # Not named slackgate-*: that prefix marks team functions (and callers of the relay).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="slackgate relay function",
            managed_policies=[self.policy],
        )
        self.reserved_concurrency = config.reserved_concurrency
        self.function = lambda_.Function(
            self,
            "Function",
            description="slackgate relay: checks each message and forwards it to Slack",
            # The version whose bytecode the asset ships (see bundling.compile_package).
            runtime=lambda_.Runtime(relay_runtime_name(), lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(staged_relay_code(config.registry_path))),
            environment={
                "SLACKGATE_CONFIG": f"/var/task/{BUNDLED_REGISTRY_NAME}",
                "SLACKGATE_DEADLINE_SECONDS": str(config.deadline_seconds),
                "SLACKGATE_ACCOUNT_ID": config.account,
                TABLE_ENV: rate_table.table_name,
            },
            timeout=Duration.seconds(config.function_timeout_seconds),
            memory_size=256,
            # Reserved: a flood elsewhere in the account cannot starve the relay (and the relay
            # cannot take more). None (slackgate:reservedConcurrency 0 or "none"): unreserved,
            # for accounts whose quota cannot spare it; `make gateway-preflight` checks which.
            reserved_concurrent_executions=config.reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
        )
