"""`python -m shared_gateway.infra.credentials`: fail fast when no AWS credentials are configured.

Used by `make gateway-diff` / `gateway-deploy` before starting the CDK CLI. It only looks
for the usual sources of credentials; it never calls AWS.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ENV_SOURCES = (
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",  # CI with OIDC
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)

HOW_TO = """\
No AWS credentials found, so nothing was sent to AWS. Set one of:
  AWS_PROFILE=<profile>                      (from ~/.aws/config, e.g. after `aws sso login`)
  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY  (and AWS_SESSION_TOKEN for temporary credentials)
or create ~/.aws/credentials / ~/.aws/config (`aws configure`). Also set AWS_REGION, and the
account and region in shared_gateway/cdk.json (slackgate:account, slackgate:region)."""


def credential_sources(environ: Mapping[str, str], home: Path) -> list[str]:
    found = [name for name in ENV_SOURCES if environ.get(name)]
    files = {
        "AWS_SHARED_CREDENTIALS_FILE": home / ".aws" / "credentials",
        "AWS_CONFIG_FILE": home / ".aws" / "config",
    }
    for variable, default in files.items():
        path = Path(environ.get(variable) or default)
        if path.is_file():
            found.append(str(path))
    return found


def main() -> int:
    if credential_sources(os.environ, Path.home()):
        return 0
    print(HOW_TO, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
