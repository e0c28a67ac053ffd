"""Organisation-level guard rails: what makes escaping the gateway impossible, not detectable.

Pure data and functions (no AWS calls but in `deploy` and `published`), one job per module:

- `settings`: the gateway's network, account and the platform's principals the policies name;
- `functions`: the SCP confining team functions (`slackgate-*`) to the gateway's VPC, subnets
  and security group, without URLs, foreign invokers, async destinations or foreign layers;
- `identity`: the SCP that makes the `slackgate:team` role tag unforgeable;
- `network`: the SCP that freezes the gateway's VPC, routes, endpoints, security groups, DNS
  firewall and published parameters for everyone but the platform;
- `rcp`: the resource control policy keeping the organisation's resources to its principals;
- `boundary`: the same rules as a permissions boundary, for one account without Organizations;
- `documents`: assembling, minifying and measuring the documents (SCP limit 5,120 characters);
- `templates`: the CloudFormation templates that deploy them;
- `published`, `deploy`, `command`: `python -m shared_gateway guardrails render|deploy`.

docs/guardrails.md explains each statement; tests/guardrails proves them with
`shared_gateway.iampolicy`.
"""

from .documents import PolicyDocument, organization_policies, policy_size
from .settings import GuardrailError, GuardrailSettings

__all__ = [
    "GuardrailError",
    "GuardrailSettings",
    "PolicyDocument",
    "organization_policies",
    "policy_size",
]
