"""The VPC endpoints team functions may use: execute-api (the relay), CloudWatch Logs, and one
endpoint per service enabled in `slackgate:services` (the catalogue in shared_gateway/perimeter).

Every endpoint but execute-api carries the catalogue's perimeter policy: our principals on our
resources, and the service's outward actions denied. Gateway endpoints (S3, DynamoDB) go on the
isolated subnets' route tables and the function group gets 443 to their managed prefix list;
interface endpoints sit behind the endpoint group the function group already reaches on 443.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..perimeter import LOGS, Perimeter, Service, endpoint_policy
from ..perimeter.services import GATEWAY
from .network import Network
from .prefix_lists import ManagedPrefixList


def keep_perimeter(endpoint: ec2.VpcEndpoint, service: Service, perimeter: Perimeter) -> None:
    """Gives `endpoint` the catalogue's policy for `service`, statement for statement."""
    for statement in endpoint_policy(service, perimeter)["Statement"]:
        endpoint.add_to_policy(iam.PolicyStatement.from_json(statement))


def construct_name(service: Service) -> str:
    """`secretsmanager` -> `Secretsmanager`: stable construct ids, so logical ids never move."""
    return service.name.title().replace("-", "")


class Endpoints(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        perimeter: Perimeter,
        services: Sequence[Service] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region

        def interface(name: str, service: ec2.InterfaceVpcEndpointAwsService):
            return network.vpc.add_interface_endpoint(
                name,
                service=service,
                private_dns_enabled=True,  # the usual host names resolve to the endpoint
                subnets=ec2.SubnetSelection(subnets=network.subnets.subnets),
                security_groups=[network.endpoint_sg],
                open=False,  # no VPC-wide ingress rule: only the function group may connect
            )

        # Its policy names the relay API, so the stack adds it once the API exists
        # (endpoint_policy.restrict_to_relay); the API does not name this endpoint.
        self.execute_api = interface("ExecuteApi", ec2.InterfaceVpcEndpointAwsService.APIGATEWAY)

        self.logs = interface("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS)
        keep_perimeter(self.logs, LOGS, perimeter)

        self.services: dict[str, ec2.VpcEndpoint] = {}
        self.prefix_lists: dict[str, ManagedPrefixList] = {}
        for service in services:
            name = construct_name(service)
            if service.endpoint == GATEWAY:
                endpoint: ec2.VpcEndpoint = network.vpc.add_gateway_endpoint(
                    name,
                    service=ec2.GatewayVpcEndpointAwsService(service.name),
                    subnets=[ec2.SubnetSelection(subnets=network.subnets.subnets)],
                )
                prefix_list = ManagedPrefixList(
                    self, f"{name}PrefixList", name=service.endpoint_service_name(region)
                )
                network.allow_https_to_prefix_list(
                    f"FunctionTo{name}",
                    prefix_list.prefix_list_id,
                    f"HTTPS to {service.title} through its gateway endpoint only",
                )
                self.prefix_lists[service.name] = prefix_list
            else:
                endpoint = interface(name, ec2.InterfaceVpcEndpointAwsService(service.name))
            keep_perimeter(endpoint, service, perimeter)
            self.services[service.name] = endpoint
