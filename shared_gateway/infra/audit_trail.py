"""The gateway's audit trail: every DNS query its VPC makes, and a notification on every change
to the network that confines the team functions.

* Route 53 Resolver query logging on the gateway's VPC, to a log group encrypted with the
  gateway key (retained like the others): what each function tried to resolve, allowed or
  blocked by the DNS firewall, is on record — the first place to look after a blocked-domain
  alarm or an audit finding.
* An EventBridge rule on CloudTrail's management events (`AWS API Call via CloudTrail`) for
  the calls that would open a way out or weaken a guard: internet and NAT gateways, routes,
  peering and transit attachments, endpoints, security-group rules, the DNS firewall and
  this query logging. A match is published to the alarm topic. EventBridge receives these
  events only while a CloudTrail trail with logging enabled exists in the account and region
  (EventBridge User Guide, "Events from AWS services"), on a best-effort basis; the guard
  rails (docs/guardrails.md) prevent the changes, this says that one was tried or made. The
  gateway's own deployments make some of these calls too: a notification during a deploy you
  ran is expected, any other is a reason to look.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53resolver as resolver
from aws_cdk import aws_sns as sns
from constructs import Construct

from .log_groups import encrypted_log_group

EVENTS = "events.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
API_CALL = "AWS API Call via CloudTrail"
# CloudTrail event source -> the calls on it that change the confinement.
NETWORK_CHANGES: dict[str, tuple[str, ...]] = {
    "ec2.amazonaws.com": (
        "AcceptVpcPeeringConnection",
        "AssociateRouteTable",
        "AttachInternetGateway",
        "AuthorizeSecurityGroupEgress",
        "AuthorizeSecurityGroupIngress",
        "CreateEgressOnlyInternetGateway",
        "CreateInternetGateway",
        "CreateNatGateway",
        "CreateRoute",
        "CreateRouteTable",
        "CreateTransitGatewayVpcAttachment",
        "CreateVpcEndpoint",
        "CreateVpcPeeringConnection",
        "DeleteVpcEndpoints",
        "ModifySecurityGroupRules",
        "ModifySubnetAttribute",
        "ModifyVpcAttribute",
        "ModifyVpcEndpoint",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
    ),
    "route53resolver.amazonaws.com": (
        # A rule group associated ahead of ours, or names added to an allowed domain list,
        # lets functions resolve (and so reach by DNS) names no published service needs.
        "AssociateFirewallRuleGroup",
        "AssociateResolverRule",
        "CreateResolverEndpoint",
        "DeleteFirewallDomainList",
        "DeleteFirewallRule",
        "DeleteFirewallRuleGroup",
        "DeleteResolverQueryLogConfig",
        "DisassociateFirewallRuleGroup",
        "DisassociateResolverQueryLogConfig",
        "ImportFirewallDomains",
        "UpdateFirewallConfig",
        "UpdateFirewallDomains",
        "UpdateFirewallRule",
        "UpdateFirewallRuleGroupAssociation",
    ),
}


def network_change_pattern() -> dict[str, Any]:
    """The rule's event pattern, as EventBridge stores it."""
    return {
        "source": sorted(f"aws.{source.split('.')[0]}" for source in NETWORK_CHANGES),
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": sorted(NETWORK_CHANGES),
            "eventName": sorted(name for names in NETWORK_CHANGES.values() for name in names),
        },
    }


class AuditTrail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        key: kms.IKey,
        retention: logs.RetentionDays,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.query_logs = encrypted_log_group(self, "QueryLogs", key=key, retention=retention)
        # Resolver delivers through CloudWatch Logs' log delivery service, which needs the log
        # group's resource policy; only on behalf of this account's resolver configurations.
        self.delivery_policy = logs.CfnResourcePolicy(
            self,
            "QueryLogDelivery",
            policy_name=f"{stack.stack_name}-resolver-query-logs",
            policy_document=stack.to_json_string(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ResolverQueryLogDelivery",
                            "Effect": "Allow",
                            "Principal": {"Service": LOG_DELIVERY},
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{self.query_logs.log_group_arn}:*",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": stack.account},
                                "ArnLike": {
                                    "aws:SourceArn": (
                                        f"arn:{stack.partition}:logs:{stack.region}:"
                                        f"{stack.account}:*"
                                    )
                                },
                            },
                        }
                    ],
                }
            ),
        )
        self.query_logging = resolver.CfnResolverQueryLoggingConfig(
            self,
            "QueryLogging",
            name=f"{stack.stack_name}-queries",
            destination_arn=self.query_logs.log_group_arn,
        )
        self.query_logging.add_dependency(self.delivery_policy)
        resolver.CfnResolverQueryLoggingConfigAssociation(
            self,
            "QueryLoggingOnTheVpc",
            resolver_query_log_config_id=self.query_logging.attr_id,
            resource_id=vpc.vpc_id,
        )

        # A CfnRule, not events.Rule with an SnsTopic target: that target would add its own
        # topic-policy grant to EventBridge, for any rule; the grants below name this rule.
        rule_name = f"{stack.stack_name}-network-changes"
        self.rule = events.CfnRule(
            self,
            "NetworkChanges",
            name=rule_name,
            description="slackgate: a change to the gateway's network (routes, endpoints, "
            "security groups, DNS firewall, query logging)",
            event_pattern=network_change_pattern(),
            state="ENABLED",
            targets=[events.CfnRule.TargetProperty(arn=topic.topic_arn, id="AlarmTopic")],
        )
        # The alarm topic is encrypted with the gateway key, and its policy is ours (alarms.py):
        # EventBridge may publish, and use the key, for this rule only.
        # The rule's ARN written out from its name, not referenced: the key's policy naming
        # the rule, the rule naming the topic and the topic naming the key would be a cycle.
        self.rule_arn = (
            f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/{rule_name}"
        )
        source = {"ArnEquals": {"aws:SourceArn": self.rule_arn}}
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NetworkChangeRule",
                principals=[iam.ServicePrincipal(EVENTS)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions=source,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="NetworkChangeRule",
                principals=[iam.ServicePrincipal(EVENTS)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions=source,
            )
        )
