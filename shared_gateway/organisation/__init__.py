"""Team accounts of an organisation: the member stack the hub's StackSet deploys in each.

Pure data and functions (no AWS calls but in `published` and `command`), one job per module:

- `settings`: the hub's published values and the audit role's setup, validated;
- `contract`: the parameters the gateway publishes, as the member stack copies them;
- `audit_role`: the read-only role's trust (the hub's auditor only) and permissions (the
  audit's reads);
- `templates`: the member template and the hub's StackSet template;
- `published`, `command`: `python -m shared_gateway organisation render|deploy`.

docs/organisation.md explains the design; tests/organisation proves it (names against the
synthesized gateway, cfn-lint, moto, policies evaluated with `shared_gateway.iampolicy`).
"""

from .settings import HubValues, MemberSettings, OrganisationError
from .templates import hub_template, member_template

__all__ = ["HubValues", "MemberSettings", "OrganisationError", "hub_template", "member_template"]
