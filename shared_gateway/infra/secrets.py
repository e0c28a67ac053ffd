"""One Secrets Manager secret per channel alias, created EMPTY.

No `SecretString` and no `GenerateSecretString`: CloudFormation then creates the secret
with no version at all (no random value, no placeholder). Until the platform team stores
the webhook URL (`aws secretsmanager put-secret-value`), `GetSecretValue` fails and the
relay answers `upstream_error` for that channel. Updating the stack never touches the value.
"""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

from ..relay.registry import Registry


class ChannelSecrets(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, registry: Registry, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_alias: dict[str, sm.CfnSecret] = {}
        for alias, channel in sorted(registry.channels.items()):
            assert channel.secret is not None  # url channels are refused before this
            self.by_alias[alias] = sm.CfnSecret(
                self,
                alias,
                name=channel.secret,
                description=f"Slack incoming-webhook URL for the slackgate channel {alias}",
                kms_key_id=key.key_arn,
            )

    @property
    def arns(self) -> list[str]:
        return [secret.ref for secret in self.by_alias.values()]  # Ref is the full ARN
