"""The confined network: isolated subnets only, and the two security groups that matter."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .log_groups import encrypted_log_group

HTTPS = ec2.Port.tcp(443)


class Network(Construct):
    """VPC with PRIVATE_ISOLATED subnets in every configured zone: no IGW, no NAT, no EIP.

    `function_sg` is what every team function gets: its only egress is 443 to the endpoint
    security group, whose only ingress is 443 from the function security group, plus 443 to
    the managed prefix list of each enabled gateway endpoint (`allow_https_to_prefix_list`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        availability_zones: list[str],
        key: kms.IKey,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.80.0.0/16"),
            availability_zones=availability_zones,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20
                )
            ],
            nat_gateways=0,
            enable_dns_support=True,  # both needed for private DNS on the endpoints
            enable_dns_hostnames=True,
            # Strips the default security group's rules (a custom resource, acknowledged in
            # stack.py): a function left on the default group then has no way out at all.
            restrict_default_security_group=True,
        )
        self.subnets = self.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        flow_log_group = encrypted_log_group(self, "FlowLogs", key=key, retention=retention)
        flow_log_role = iam.Role(
            self,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="VPC flow logs of the slackgate gateway network",
        )
        # Every packet the functions send or have refused is on record.
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group, flow_log_role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        self.endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="slackgate interface endpoints: 443 from the function group only",
            allow_all_outbound=False,
        )
        self.function_sg = ec2.SecurityGroup(
            self,
            "FunctionSecurityGroup",
            vpc=self.vpc,
            description="slackgate team functions: egress 443 to the endpoints only",
            allow_all_outbound=False,
        )
        self.function_sg.add_egress_rule(
            self.endpoint_sg, HTTPS, "HTTPS to the interface endpoints only"
        )
        self.endpoint_sg.add_ingress_rule(
            self.function_sg, HTTPS, "HTTPS from slackgate team functions"
        )

    def allow_https_to_prefix_list(
        self, construct_id: str, prefix_list_id: str, description: str
    ) -> ec2.CfnSecurityGroupEgress:
        """Egress 443 from the function group to a prefix list (a gateway endpoint's service).

        A rule resource of its own, like the rule above, rather than an inline rule of the
        group: every way out of the function group is one AWS::EC2::SecurityGroupEgress.
        """
        return ec2.CfnSecurityGroupEgress(
            self,
            construct_id,
            group_id=self.function_sg.security_group_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            destination_prefix_list_id=prefix_list_id,
            description=description,
        )
