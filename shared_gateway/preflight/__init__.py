"""`python -m shared_gateway preflight` (`make gateway-preflight`): will the gateway deploy here?

With the caller's credentials, before anything is deployed, each check asks AWS one question
whose wrong answer would make the deployment fail (or the gateway misbehave) and, when it is
wrong, says what to do (`checks.py`). The ids, in order, are `CHECK_IDS`; docs/gateway.md's
"Before you deploy" checklist names each of them.
"""

from .checks import CHECK_IDS, Result, Status

__all__ = ["CHECK_IDS", "Result", "Status"]
