"""What the function may read and write: the declarations in infra/settings.py, parsed.

A declaration is written the way people write these resources:

    s3://bucket                 every object of the bucket
    s3://bucket/prefix/         the objects under prefix/ only (a prefix ends with "/")
    dynamodb:table              the table and its indexes
    ssm:/path/name              one Parameter Store parameter
    ssm:/path/                  every parameter under /path/ (a trailing "/" means the hierarchy)
    secretsmanager:name         one secret (reads only)
    sqs:queue                   sending to one queue (writes only)

Every resource is one of this account's, in the function's region. Each problem is reported
with how to fix it, all at once.

Standard library only, and no template syntax: the template's pre-generation hook loads
this very file to check the answers given at generation, so the answers, this repository's
settings and the role's permissions are all checked by the same code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "DataAccess",
    "DeclarationError",
    "Problem",
    "Resource",
    "parse_declarations",
    "problems",
    "split_answer",
    "unoffered_services",
]

# How the function's code learns what it may use: JSON lists of Resource.as_environment().
ENVIRONMENT_VARIABLES = {"reads": "SLACKGATE_READS", "writes": "SLACKGATE_WRITES"}

READABLE_KINDS = ("s3", "dynamodb", "ssm", "secretsmanager")
WRITABLE_KINDS = ("s3", "dynamodb", "sqs")
# The AWS service (as the gateway names it in slackgate:services) each kind goes through.
SERVICE_OF_KIND = {
    "s3": "s3",
    "dynamodb": "dynamodb",
    "ssm": "ssm",
    "secretsmanager": "secretsmanager",
    "sqs": "sqs",
}
TITLE_OF_KIND = {
    "s3": "S3",
    "dynamodb": "DynamoDB",
    "ssm": "Parameter Store",
    "secretsmanager": "Secrets Manager",
    "sqs": "SQS",
}
FORMS = {
    "s3": "s3://bucket or s3://bucket/prefix/",
    "dynamodb": "dynamodb:table",
    "ssm": "ssm:/path/name or ssm:/path/",
    "secretsmanager": "secretsmanager:name",
    "sqs": "sqs:queue-name",
}
# Enough for a report, and small enough for the role's policies and the function's
# environment (Lambda allows 4 KB of variables; the relay's URL and channel need some).
MAX_DECLARED = 10
MAX_ENVIRONMENT = 3000

# S3 general purpose bucket names: 3–63 characters of lowercase letters, digits, dots and
# hyphens, starting and ending with a letter or digit, no "..", not an IP address.
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Key prefixes: S3's "safe" characters and "=" (year=2026/ partitions). Never "*", "?" or
# "$": in an IAM policy they are wildcards and variables, and would widen the grant.
PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9!_.'()=+-]+")
MAX_PREFIX = 256
TABLE = re.compile(r"[A-Za-z0-9_.-]{3,255}")
PARAMETER_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")
PARAMETER_MAX_DEPTH = 15
# 1,011 characters with the ARN around it (about 60).
MAX_PARAMETER = 950
SECRET = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
QUEUE = re.compile(r"[A-Za-z0-9_-]{1,75}(?:\.fifo)?|[A-Za-z0-9_-]{1,80}")
# The relay's channel secrets (webhook URLs) live under this name; the relay alone reads them.
RESERVED_SECRET_PREFIX = "slackgate/"


class Problem(NamedTuple):
    """One declaration that cannot be granted: what is wrong, and how to fix it."""

    declared: str
    what: str
    fix: str


class DeclarationError(ValueError):
    """The declarations have problems; ``problems`` lists them as (setting, Problem)."""

    def __init__(self, found: Sequence[tuple[str, Problem]]) -> None:
        self.problems = list(found)
        lines = [
            f"  - {setting} = {problem.declared!r}: {problem.what}\n      fix: {problem.fix}"
            for setting, problem in self.problems
        ]
        super().__init__(
            f"{len(self.problems)} declared resource(s) in infra/settings.py need fixing:\n"
            + "\n".join(lines)
        )


@dataclass(frozen=True)
class Resource:
    """One declared resource.

    ``name`` is the bucket, table, parameter name (a hierarchy ends with "/"), secret or
    queue; ``prefix`` is the S3 key prefix ("" for the whole bucket).
    """

    kind: str
    name: str
    prefix: str = ""

    @property
    def text(self) -> str:
        """The declaration, written the usual way."""
        if self.kind == "s3":
            return f"s3://{self.name}/{self.prefix}" if self.prefix else f"s3://{self.name}"
        return f"{self.kind}:{self.name}"

    @property
    def service(self) -> str:
        return SERVICE_OF_KIND[self.kind]

    @property
    def title(self) -> str:
        return TITLE_OF_KIND[self.kind]

    @property
    def is_hierarchy(self) -> bool:
        return self.kind == "ssm" and self.name.endswith("/")

    def as_environment(self) -> dict[str, str]:
        """What the function's code is told about the resource (no parsing needed there)."""
        if self.kind == "s3":
            return {"kind": "s3", "bucket": self.name, "prefix": self.prefix}
        if self.kind == "ssm":
            key = "path" if self.is_hierarchy else "name"
            return {"kind": "ssm", key: self.name}
        key = {"dynamodb": "table", "secretsmanager": "secret", "sqs": "queue"}[self.kind]
        return {"kind": self.kind, key: self.name}


@dataclass(frozen=True)
class DataAccess:
    """Everything the function may read, and the few things it may write."""

    reads: tuple[Resource, ...] = ()
    writes: tuple[Resource, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.reads or self.writes)

    @property
    def services(self) -> tuple[str, ...]:
        """The AWS services the function's code calls, sorted."""
        return tuple(sorted({resource.service for resource in (*self.reads, *self.writes)}))

    def environment(self) -> dict[str, str]:
        """The function's environment variables naming the declared resources."""
        return {
            ENVIRONMENT_VARIABLES[setting]: json.dumps(
                [resource.as_environment() for resource in resources], separators=(",", ":")
            )
            for setting, resources in (("reads", self.reads), ("writes", self.writes))
            if resources
        }


def split_answer(text: str) -> tuple[str, ...]:
    """A comma-separated answer ("s3://a, dynamodb:b") as its declarations."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


# --- one declaration ----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what, self.fix = what, fix


def _is_bucket(name: str) -> bool:
    return not (
        not BUCKET.fullmatch(name)
        or ".." in name
        or IP_ADDRESS.fullmatch(name)
        or name.startswith(BUCKET_RESERVED_PREFIXES)
        or name.endswith(BUCKET_RESERVED_SUFFIXES)
    )


def _s3(rest: str) -> Resource:
    bucket, slash, prefix = rest.partition("/")
    example = "e.g. s3://payments-reports or s3://payments-reports/daily/"
    if not _is_bucket(bucket):
        lowered = bucket.lower()
        fix = f"write s3://{lowered}{slash}{prefix}" if _is_bucket(lowered) else example
        raise _Refused(
            f"{bucket!r} is not an S3 bucket name: 3–63 lowercase letters, digits, dots and "
            "hyphens, starting and ending with a letter or digit (no '..', not an IP address, "
            "no prefix or suffix AWS reserves)",
            fix,
        )
    if not prefix:
        return Resource("s3", bucket)
    if not prefix.endswith("/"):
        raise _Refused(
            "a key prefix must end with '/': without it, 'daily' would also grant "
            "'daily-private/...'",
            f"write s3://{bucket}/{prefix}/",
        )
    segments = prefix[:-1].split("/")
    if len(prefix) > MAX_PREFIX or not all(
        PREFIX_SEGMENT.fullmatch(segment) and segment not in (".", "..") for segment in segments
    ):
        raise _Refused(
            f"the key prefix {prefix!r} may hold letters, digits and ! _ . ' ( ) = + - "
            "between single '/' (no wildcards * or ?, no $, no empty or '..' parts), "
            f"at most {MAX_PREFIX} characters",
            f"declare the folder that holds the objects, {example}",
        )
    return Resource("s3", bucket, prefix)


def _dynamodb(rest: str) -> Resource:
    if not TABLE.fullmatch(rest):
        raise _Refused(
            f"{rest!r} is not a DynamoDB table name: 3–255 letters, digits, '_', '-' and '.'",
            "give the table's name, e.g. dynamodb:payments-settlements",
        )
    return Resource("dynamodb", rest)


def _ssm(rest: str) -> Resource:
    example = "e.g. ssm:/payments/threshold, or ssm:/payments/ for everything under /payments/"
    if not rest.startswith("/"):
        raise _Refused(
            "a parameter is named by its full path, starting with '/'",
            f"write ssm:/{rest}" if rest else example,
        )
    hierarchy = rest.endswith("/")
    segments = rest.strip("/").split("/")
    if rest == "/":
        raise _Refused(
            "'/' would be every parameter of the account",
            f"declare the hierarchy your function needs, {example}",
        )
    if (
        len(rest) > MAX_PARAMETER
        or len(segments) > PARAMETER_MAX_DEPTH
        or not all(PARAMETER_SEGMENT.fullmatch(segment) for segment in segments)
    ):
        raise _Refused(
            f"{rest!r} is not a Parameter Store name: '/'-separated parts of letters, digits, "
            f"'_', '.' and '-' (no wildcards, no empty parts), at most {PARAMETER_MAX_DEPTH} "
            f"levels and {MAX_PARAMETER} characters",
            example,
        )
    if segments[0].lower() in ("aws", "ssm"):
        raise _Refused(
            f"names under /{segments[0]}/ are reserved by AWS (public parameters are not this "
            "account's)",
            f"declare one of your own parameters, {example}",
        )
    return Resource("ssm", "/" + "/".join(segments) + ("/" if hierarchy else ""))


def _secretsmanager(rest: str) -> Resource:
    if not SECRET.fullmatch(rest):
        raise _Refused(
            f"{rest!r} is not a secret name: 1–512 letters, digits and / _ + = . @ - "
            "(the name, not the ARN; no wildcards)",
            "e.g. secretsmanager:payments/reporting-db",
        )
    if rest.lower().startswith(RESERVED_SECRET_PREFIX):
        raise _Refused(
            f"secrets under {RESERVED_SECRET_PREFIX} hold the relay's Slack webhooks, which the "
            "relay alone may read",
            "keep your team's secrets under a name of its own, e.g. secretsmanager:payments/db",
        )
    return Resource("secretsmanager", rest)


def _sqs(rest: str) -> Resource:
    if not QUEUE.fullmatch(rest):
        raise _Refused(
            f"{rest!r} is not an SQS queue name: 1–80 letters, digits, '_' and '-' "
            "(a FIFO queue ends in .fifo; the name, not the URL)",
            "e.g. sqs:payments-settlements",
        )
    return Resource("sqs", rest)


PARSERS = {
    "s3": ("s3://", _s3),
    "dynamodb": ("dynamodb:", _dynamodb),
    "ssm": ("ssm:", _ssm),
    "secretsmanager": ("secretsmanager:", _secretsmanager),
    "sqs": ("sqs:", _sqs),
}
ALL_FORMS = ", ".join(FORMS[kind] for kind in READABLE_KINDS)


def _parse(text: str) -> Resource:
    if text.startswith("arn:"):
        raise _Refused(
            "give the resource's name in its short form, not an ARN (the function may use "
            "this account's resources only, and the ARN is built at deploy time)",
            f"write one of {ALL_FORMS}",
        )
    for prefix, parse in PARSERS.values():
        if text.startswith(prefix):
            return parse(text[len(prefix) :])
    raise _Refused("is not a resource slackgate knows", f"write one of {ALL_FORMS}")


def _parse_all(
    setting: str, declared: Iterable[str], allowed: Sequence[str]
) -> tuple[tuple[Resource, ...], list[tuple[str, Problem]]]:
    found: list[Resource] = []
    problems: list[tuple[str, Problem]] = []
    if isinstance(declared, str):
        fix = f"write a tuple of strings: {setting}=({declared!r},)"
        return (), [(setting, Problem(declared, "is one string, not a tuple of them", fix))]
    items = list(declared)
    for text in items:
        if not isinstance(text, str):
            problems.append(
                (setting, Problem(repr(text), "is not text", 'write it as a string, "s3://..."'))
            )
            continue
        try:
            resource = _parse(text)
        except _Refused as refused:
            problems.append((setting, Problem(text, refused.what, refused.fix)))
            continue
        if resource.kind not in allowed:
            problems.append((setting, _not_allowed(setting, resource)))
        elif resource not in found:  # the same resource twice is one grant
            found.append(resource)
    if len(items) > MAX_DECLARED:
        problems.append(
            (
                setting,
                Problem(
                    ", ".join(map(str, items)),
                    f"declares {len(items)} resources; at most {MAX_DECLARED} fit the role's "
                    "policy",
                    "declare a prefix (s3://bucket/folder/) or hierarchy (ssm:/path/) that "
                    "covers several",
                ),
            )
        )
    return tuple(found), problems


def _not_allowed(setting: str, resource: Resource) -> Problem:
    if setting == "writes":
        return Problem(
            resource.text,
            f"{resource.title} is read-only for slackgate functions: a function may write to "
            "S3, DynamoDB and SQS only",
            f"move it to reads, if reading it is what you need: reads={resource.text}",
        )
    return Problem(
        resource.text,
        "reading from a queue is what the sqs trigger does; a declared queue is one to send to",
        f"declare it under writes (writes={resource.text}), or choose trigger=sqs",
    )


def problems(reads: Iterable[str], writes: Iterable[str]) -> list[tuple[str, Problem]]:
    """Every problem with the declarations, as ("reads" or "writes", Problem)."""
    return _checked(reads, writes)[1]


def parse_declarations(reads: Iterable[str], writes: Iterable[str]) -> DataAccess:
    """The declarations as resources; raises DeclarationError listing every problem."""
    access, found = _checked(reads, writes)
    if found:
        raise DeclarationError(found)
    return access


def _checked(
    reads: Iterable[str], writes: Iterable[str]
) -> tuple[DataAccess, list[tuple[str, Problem]]]:
    read, found = _parse_all("reads", reads, READABLE_KINDS)
    written, write_problems = _parse_all("writes", writes, WRITABLE_KINDS)
    found += write_problems
    access = DataAccess(reads=read, writes=written)
    size = sum(len(value) for value in access.environment().values())
    if size > MAX_ENVIRONMENT:
        found.append(
            (
                "reads",
                Problem(
                    ", ".join(resource.text for resource in (*read, *written)),
                    f"the declarations take {size} characters of the function's environment; "
                    f"at most {MAX_ENVIRONMENT} fit (Lambda allows 4 KB in all)",
                    "declare fewer or shorter resources: a prefix or hierarchy that covers several",
                ),
            )
        )
    return access, found


def unoffered_services(access: DataAccess, offered: Iterable[str]) -> list[str]:
    """What the function uses that the gateway does not offer, each said plainly."""
    offered_set = {service.strip() for service in offered}
    # service -> (its title, what the function does with it)
    uses: dict[str, tuple[str, list[str]]] = {}
    for verb, resources in (("reads", access.reads), ("writes to", access.writes)):
        for resource in resources:
            verbs = uses.setdefault(resource.service, (resource.title, []))[1]
            if verb not in verbs:
                verbs.append(verb)
    return [
        f"this function {' and '.join(verbs)} {title} but the gateway does not offer "
        f"{service}: ask the platform team to add it to slackgate:services"
        for service, (title, verbs) in sorted(uses.items())
        if service not in offered_set
    ]
