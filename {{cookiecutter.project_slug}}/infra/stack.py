"""The function's stack: the function, its role, its logs, its trigger and an alarm.

Nothing here creates a network. The function is attached to the subnets and the security
group that the slackgate gateway publishes in Parameter Store; CloudFormation resolves
them at deploy time, so this stack synthesizes offline and nobody types an id.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compliance import ALARM_ACTION_REASON, AWS_SOLUTIONS, NIST, acknowledge
from .data_policy import add_data_policies
from .packaging import function_code
{%- if cookiecutter.trigger == "schedule" %}
from .schedule_trigger import add_schedule_trigger
{%- endif %}
from .settings import SOURCE_DIR, Settings
{%- if cookiecutter.trigger == "sqs" %}
from .sqs_trigger import add_sqs_trigger
{%- endif %}

RUNTIMES = {
    "3.11": lambda_.Runtime.PYTHON_3_11,
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}
# cdk-nag wants the newest runtime; an older one is a choice made when generating the repo.
LATEST_PYTHON = "3.14"
FUNCTION_TIMEOUT = Duration.seconds(30)
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
# What Lambda needs to manage the function's network interfaces in the VPC; the same
# actions as the AWS managed policy AWSLambdaVPCAccessExecutionRole.
ENI_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
)
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
RELAY_ROUTE = "prod/POST/v1/messages"  # <stage>/<method>/<path> of the relay's execute-api ARN
TEAM_TAG = "slackgate:team"


class GatewayParameters(Construct):
    """The slackgate gateway's published values, read from Parameter Store at deploy time."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        def parameter(logical_id: str, ssm_type: str, name: str, what: str) -> CfnParameter:
            return CfnParameter(
                stack,
                logical_id,
                type=f"AWS::SSM::Parameter::Value<{ssm_type}>",
                default=f"{prefix}/{name}",
                description=f"Parameter Store name of {what} (published by the slackgate gateway)",
            )

        self.vpc_id = parameter("VpcId", "AWS::EC2::VPC::Id", "network/vpc-id", "the VPC")
        self.subnet_ids = parameter(
            "SubnetIds",
            "List<AWS::EC2::Subnet::Id>",
            "network/subnet-ids",
            "the isolated subnets",
        )
        self.security_group_id = parameter(
            "SecurityGroupId",
            "AWS::EC2::SecurityGroup::Id",
            "network/function-sg-id",
            "the function security group",
        )
        self.relay_url = parameter("SlackgateUrl", "String", "api/url", "the relay's base URL")
        self.api_id = parameter("SlackgateApiId", "String", "api/id", "the relay's REST API id")
        self.api_account = parameter(
            "SlackgateApiAccount", "String", "api/account", "the relay API's AWS account"
        )

    def relay_route_arn(self) -> str:
        """The relay's one route, `POST /v1/messages` on stage `prod` of the gateway's API, in
        the gateway's account (published: in a member account of the organisation the API is
        not in the account deployed to) and the region deployed to."""
        api, account = self.api_id.value_as_string, self.api_account.value_as_string
        return f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{account}:{api}/{RELAY_ROUTE}"


class FunctionStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: object
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"slackgate function {settings.role_name}: reaches Slack via the relay",
            analytics_reporting=False,
            **kwargs,  # type: ignore[arg-type]
        )
        self.settings = settings
        gateway = GatewayParameters(self, "Gateway", prefix=settings.ssm_prefix)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            # Logs outlive the stack: they may be needed after the function is gone.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.log_group,
            {
                f"{NIST}-CloudWatchLogGroupEncrypted": (
                    "CloudWatch Logs encrypts every log group at rest; what the function "
                    "logs is what it may send to Slack anyway, which the relay checks. A KMS "
                    "key per team function is not worth its cost here."
                ),
            },
        )

        # A customer managed policy rather than inline ones or AWS managed ones: it lists
        # exactly what the function may do, and the role (hence the function) depends on
        # it, so the ENI permissions exist before Lambda attaches the function to the VPC.
        self.policy = iam.ManagedPolicy(
            self,
            "FunctionPolicy",
            description=(
                f"{settings.role_name}: write its logs, manage its VPC interfaces, call the relay"
            ),
            statements=[
                iam.PolicyStatement(
                    sid="WriteOwnLogs",
                    actions=list(LOG_ACTIONS),
                    resources=[self.log_group.log_group_arn],
                ),
                iam.PolicyStatement(
                    sid="ManageVpcNetworkInterfaces",
                    actions=list(ENI_ACTIONS),
                    resources=["*"],
                ),
                # The relay's route and nothing else. Within one account the API's resource
                # policy alone would do; across accounts both must allow, and the role takes no
                # policy updates later (without_policy_updates below), so it is granted here.
                iam.PolicyStatement(
                    sid="InvokeTheRelay",
                    actions=["execute-api:Invoke"],
                    resources=[gateway.relay_route_arn()],
                ),
            ],
        )
        acknowledge(
            self.policy,
            {
                f"{AWS_SOLUTIONS}-IAM5[Resource::*]": (
                    "The network-interface actions Lambda needs for VPC access: the Describe "
                    "actions support no resource scoping, and these are the actions of AWS's "
                    "AWSLambdaVPCAccessExecutionRole. They let Lambda attach the function to "
                    "the gateway's subnets; they open no path out."
                ),
            },
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=settings.role_name,
            description="slackgate function role; the relay knows the team from this name",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            # Reads and writes of exactly the resources declared in infra/settings.py.
            managed_policies=[
                self.policy,
                *add_data_policies(self, settings.data_access, settings.role_name),
            ],
        )
        # The relay's API admits a role only when this tag names the team its name does
        # (slackgate-<team>-...): anyone may pick a role name, only the team's own deploy
        # principal may set this tag, and only to its own team (the gateway's guard rails).
        Tags.of(self.role).add(TEAM_TAG, settings.team)

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=settings.role_name,
            description="Posts to Slack through the slackgate relay",
            runtime=RUNTIMES[settings.python_version],
            architecture=lambda_.Architecture.ARM_64,
            handler=settings.handler,
            code=function_code(self, SOURCE_DIR, settings.python_version),
            # Nothing may add to the role behind our back (e.g. a grant's inline policy).
            role=self.role.without_policy_updates(),
            timeout=FUNCTION_TIMEOUT,
            memory_size=256,
            log_group=self.log_group,
            environment={
                "SLACKGATE_URL": gateway.relay_url.value_as_string,
                "SLACKGATE_CHANNEL": settings.default_channel,
                "LOG_LEVEL": "INFO",
                # The declared resources, so that the code names none of them itself.
                **settings.data_access.environment(),
            },
        )
        function_findings = {
            f"{NIST}-LambdaConcurrency": (
                "Reserved concurrency would be taken from the account's shared pool (new "
                "accounts have 10); the relay rate-limits what the function can send."
            ),
            f"{NIST}-LambdaDLQ": (
                "Failures raise and set off the errors alarm; "
                + (
                    "failed queue messages go to the queue's own dead-letter queue."
                    if settings.trigger == "sqs"
                    else "a report is produced again rather than replayed from a queue."
                )
            ),
        }
        if settings.python_version != LATEST_PYTHON:
            function_findings[f"{AWS_SOLUTIONS}-L1"] = (
                f"python{settings.python_version} was chosen when this repository was "
                "generated; it is a supported Lambda runtime. Move up in infra/settings.py."
            )
        acknowledge(self.function, function_findings)
        # Set on the L1 property, not as a raw override, so that compliance checks see it.
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.vpc_config = lambda_.CfnFunction.VpcConfigProperty(
            subnet_ids=gateway.subnet_ids.value_as_list,
            security_group_ids=[gateway.security_group_id.value_as_string],
        )

        self.errors_alarm = cloudwatch.Alarm(
            self,
            "ErrorsAlarm",
            alarm_name=f"{settings.role_name}-errors",
            alarm_description="The function failed (this includes messages slackgate blocked).",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        acknowledge(self.errors_alarm, {f"{NIST}-CloudWatchAlarmAction": ALARM_ACTION_REASON})
        self._add_trigger()

        Tags.of(self).add(TEAM_TAG, settings.team)
        Tags.of(self).add("slackgate:function", settings.function_name)
        CfnOutput(self, "FunctionName", value=self.function.function_name)
        CfnOutput(self, "RoleArn", value=self.role.role_arn)
        CfnOutput(self, "Vpc", value=gateway.vpc_id.value_as_string)

    def _add_trigger(self) -> None:
{%- if cookiecutter.trigger == "schedule" %}
        add_schedule_trigger(self, self.function, self.settings.schedule_expression)
{%- elif cookiecutter.trigger == "sqs" %}
        self.queue = add_sqs_trigger(self, self.function, self.policy, FUNCTION_TIMEOUT)
        CfnOutput(self, "QueueUrl", value=self.queue.queue_url)
{%- else %}
        """No trigger: invoke the function yourself (aws lambda invoke) or add one here."""
{%- endif %}
