"""The shared gateway stack: the constructs wired together, and the reasoned acknowledgements."""

from __future__ import annotations

from aws_cdk import Aspects, Environment, Stack
from constructs import Construct

from ..perimeter import published_names
from ..relay.registry import Registry
from .alarms import RelayAlarms
from .api_gateway_account import ApiGatewayAccount
from .audit_trail import AuditTrail
from .config import GatewayConfig
from .dns_firewall import DnsFirewall
from .endpoint_policy import restrict_to_relay
from .endpoints import Endpoints
from .key import GatewayKey
from .log_groups import retention_days
from .nag import acknowledge
from .network import Network
from .parameters import PublishedParameters
from .platform_roles import PlatformRoles
from .rate_table import RateTable
from .relay_api import METHOD, ROUTE_PATH, STAGE, RelayApi
from .relay_function import RelayFunction
from .secrets import ChannelSecrets
from .sharing import SubnetShare, teams_by_account

STACK_NAME = "slackgate-gateway"
# Construct id of the stack-level function CDK shares between AwsCustomResources.
CR_SINGLETON_ID = "AWS679f53fac002430cb0da5b7982bd2287"


class GatewayStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: GatewayConfig, registry: Registry
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            stack_name=STACK_NAME,
            description="slackgate shared gateway: confined network, DNS firewall, Slack relay",
            env=Environment(account=config.account, region=config.region),
        )
        # Before any construct: a team in an account the subnets are not shared with could
        # never deploy (sharing.py).
        config.require_shared_with(teams_by_account(registry))
        retention = retention_days(config.log_retention_days)
        key = GatewayKey(self, "Key").key
        self.network = Network(
            self,
            "Network",
            availability_zones=list(config.availability_zones),
            key=key,
            retention=retention,
        )
        services = config.enabled_services
        self.endpoints = Endpoints(
            self,
            "Endpoints",
            network=self.network,
            perimeter=config.perimeter,
            services=services,
        )
        self.secrets = ChannelSecrets(self, "ChannelSecrets", registry=registry, key=key)
        self.rate_table = RateTable(self, "RateTable", key=key)
        self.relay = RelayFunction(
            self,
            "Relay",
            config=config,
            secret_arns=self.secrets.arns,
            rate_table=self.rate_table.table,
            key=key,
            retention=retention,
        )
        self.api = RelayApi(
            self,
            "RelayApi",
            function=self.relay.function,
            vpc_id=self.network.vpc.vpc_id,
            account=config.account,
            team_accounts=registry.team_accounts(),
            key=key,
            retention=retention,
            throttle_rate=config.throttle_rate,
            throttle_burst=config.throttle_burst,
        )
        restrict_to_relay(
            self.endpoints.execute_api,
            self.api.api,
            account=config.account,
            team_accounts=registry.team_accounts(),
            stage=STAGE,
            method=METHOD,
            path=ROUTE_PATH,
        )
        self.dns_firewall = DnsFirewall(
            self,
            "DnsFirewall",
            vpc=self.network.vpc,
            api_id=self.api.api.rest_api_id,
            services=services,
        )
        self.parameters = PublishedParameters(
            self,
            "Parameters",
            prefix=config.prefix,
            vpc_id=self.network.vpc.vpc_id,
            subnet_ids=[s.subnet_id for s in self.network.subnets.subnets],
            function_sg_id=self.network.function_sg.security_group_id,
            api_url=self.api.base_url,
            api_id=self.api.api.rest_api_id,
            services=published_names(services),
            organization_id=config.organization_id,
        )
        self.alarms = RelayAlarms(self, "Alarms", key=key, email=config.alarm_email)
        self.audit_trail = AuditTrail(
            self,
            "AuditTrail",
            vpc=self.network.vpc,
            key=key,
            retention=retention,
            topic=self.alarms.topic,
        )
        self.subnet_share: SubnetShare | None = None
        if config.share_with:  # the hub model; one account shares nothing
            self.subnet_share = SubnetShare(
                self, "SubnetShare", network=self.network, principals=config.share_with
            )
        self.api_gateway_account: ApiGatewayAccount | None = None
        if config.api_gateway_account_role:  # account-wide and retained: opt-in only
            self.api_gateway_account = ApiGatewayAccount(self, "ApiGatewayAccount")
            # The stage's access logging needs the account's role to be set first.
            self.api.api.deployment_stage.node.add_dependency(self.api_gateway_account.account)
        self._acknowledge()
        # Every role outside the teams' slackgate-<team>-* names (platform_roles.py).
        Aspects.of(self).add(PlatformRoles())

    def _acknowledge(self) -> None:
        """Every cdk-nag finding this design accepts, each with the reason it is accepted."""
        if self.api_gateway_account is not None:
            acknowledge(
                self.api_gateway_account,
                "API Gateway's account-wide logging role takes AWS's managed policy made for "
                "it, AmazonAPIGatewayPushToCloudWatchLogs, as AWS documents; API Gateway names "
                "the log groups itself, so the role cannot be scoped to ours.",
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
            )
        acknowledge(
            self.secrets,
            "A Slack incoming-webhook URL is issued by Slack and cannot be rotated by a "
            "rotation Lambda; rotating it is a manual put-secret-value (docs/gateway.md).",
            "AwsSolutions-SMG4",
            "NIST.800.53.R5-SecretsManagerRotationEnabled",
        )
        acknowledge(
            self.api.api.node.default_child,
            "The relay validates every body itself and answers with the documented error "
            "codes; an API Gateway request validator would answer in another format.",
            "AwsSolutions-APIG2",
        )
        acknowledge(
            self.api.method,
            "Callers are Lambda roles authenticated with SigV4 (AWS_IAM authorization); "
            "there are no Cognito users.",
            "AwsSolutions-COG4",
        )
        stage = self.api.api.deployment_stage.node.default_child
        acknowledge(
            stage,
            "Private API reachable only through the gateway's VPC endpoint by IAM-authenticated "
            "slackgate roles, throttled per stage; the relay inspects every message itself.",
            "AwsSolutions-APIG3",
            "NIST.800.53.R5-APIGWAssociatedWithWAF",
        )
        acknowledge(
            stage,
            "JSON access logs are on; execution logging would record request and response "
            "data (message text) in the account-wide API Gateway log groups.",
            "AwsSolutions-APIG6",
            "NIST.800.53.R5-APIGWExecutionLoggingEnabled",
        )
        acknowledge(
            stage,
            "Every request is a distinct message POST; caching responses would be wrong.",
            "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted",
        )
        acknowledge(
            stage,
            "The backend is a Lambda proxy integration, not an HTTP endpoint that could check "
            "a client certificate; callers reach the API over TLS through the VPC endpoint.",
            "NIST.800.53.R5-APIGWSSLEnabled",
        )
        acknowledge(
            self.relay.function,
            "The relay is the one inspected way out: it must reach Slack's webhook endpoint, "
            "so it is deliberately outside the confined VPC.",
            "NIST.800.53.R5-LambdaInsideVPC",
        )
        acknowledge(
            self.relay.function,
            "Invoked synchronously by API Gateway only; the caller receives every error, and "
            "a dead-letter queue applies to asynchronous invocations only.",
            "NIST.800.53.R5-LambdaDLQ",
        )
        acknowledge(
            self.relay.function,
            "The relay ships bytecode compiled at synthesis, valid only for the Python version "
            "that compiled it, so its runtime is that version (bundling.py); synthesize with "
            "a newer supported Python to move the relay to a newer runtime.",
            "AwsSolutions-L1",
        )
        if self.relay.reserved_concurrency is None:
            acknowledge(
                self.relay.function,
                "Unreserved on purpose (slackgate:reservedConcurrency 0 or none): the account's "
                "Lambda quota cannot reserve capacity and keep the unreserved minimum AWS "
                "requires (gateway-preflight); the stage throttle still bounds the relay.",
                "NIST.800.53.R5-LambdaConcurrency",
            )
        acknowledge(
            self.rate_table,
            "The table holds per-team message counts of the current minute only, expired by "
            "TTL; a restored or lost table only starts every team's minute afresh, so "
            "point-in-time recovery and backups would keep nothing of value (rate_table.py).",
            "AwsSolutions-DDB3",
            "NIST.800.53.R5-DynamoDBPITREnabled",
            "NIST.800.53.R5-DynamoDBInBackupPlan",
        )
        acknowledge(
            self.network.node.find_child("FlowLogRole"),
            "CDK-generated policy for VPC flow logs, scoped to the flow-log group and to "
            "passing this role only.",
            "NIST.800.53.R5-IAMNoInlinePolicy",
        )
        for prefix_list in self.endpoints.prefix_lists.values():
            acknowledge(
                prefix_list,
                "CDK-generated policy with one statement: ec2:DescribeManagedPrefixLists, a "
                "read-only call that supports no resource-level permissions, so on '*'; it "
                "finds the id of the gateway endpoint's managed prefix list (prefix_lists.py).",
                "AwsSolutions-IAM5[Resource::*]",
                "NIST.800.53.R5-IAMNoInlinePolicy",
            )
        # The singleton function behind AwsCustomResource: only the prefix-list lookups use
        # it, so it exists only with a gateway-endpoint service (S3, DynamoDB) enabled.
        provider = self.node.try_find_child(CR_SINGLETON_ID)
        if provider is not None:
            acknowledge(
                provider,
                "CDK's custom-resource provider runs only during deployments, called by "
                "CloudFormation, to call the public EC2 API; its basic execution role only "
                "writes its own logs.",
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "NIST.800.53.R5-LambdaDLQ",
                "NIST.800.53.R5-LambdaInsideVPC",
                "NIST.800.53.R5-LambdaConcurrency",
            )
