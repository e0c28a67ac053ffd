"""AWS Signature Version 4 verification, the way API Gateway checks AWS_IAM requests.

Pure functions over a received request: no sockets, no clock of its own (the caller passes
`now`), standard library only. `verify_request` either returns who signed the request or
raises `SignatureError` with the API Gateway message for the client and a precise reason for
the log.

Reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote_plus

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=5)
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()

# API Gateway's own wording, so clients see locally what they would see in AWS.
MISSING_TOKEN = "Missing Authentication Token"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."

_AUTH_PARAM = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^,\s]*)\s*")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class SignatureError(Exception):
    """The request is not authenticated.

    `message` is what API Gateway would answer (the client sees it), `error_type` its
    x-amzn-ErrorType header, and `reason` a precise explanation for the relay's log.
    """

    def __init__(self, message: str, reason: str, error_type: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason
        self.error_type = error_type


class UnknownAccessKey(SignatureError):
    """The access key id is not one the verifier knows: nothing else about the request could
    be checked. The server adds how to get a known key, which depends on who made the keys."""

    def __init__(self, access_key_id: str) -> None:
        super().__init__(
            INVALID_TOKEN, f"unknown access key id {access_key_id!r}", "UnrecognizedClientException"
        )
        self.access_key_id = access_key_id


def _incomplete(message: str, reason: str | None = None) -> SignatureError:
    return SignatureError(message, reason or message, "IncompleteSignatureException")


def _invalid(message: str, reason: str | None = None) -> SignatureError:
    return SignatureError(message, reason or message, "InvalidSignatureException")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A request as it arrived on the wire.

    `path` and `query` are raw (still percent-encoded, as sent); `headers` keeps every
    header line in order, with repeated names, because SigV4 signs all values of a header.
    """

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[-1] if values else None


@dataclass(frozen=True, slots=True)
class Authorization:
    """The parsed `Authorization: AWS4-HMAC-SHA256 ...` header."""

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """Who signed a request whose signature checked out."""

    access_key_id: str
    region: str
    signed_at: datetime
    security_token: str | None


def parse_authorization(header: str) -> Authorization:
    """Parses an Authorization header; raises SignatureError naming what is missing or wrong."""
    algorithm, _, params_text = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(
            MISSING_TOKEN,
            f"Authorization header uses {algorithm!r}; only {ALGORITHM} is accepted",
        )
    params: dict[str, str] = {}
    for part in params_text.split(","):
        match = _AUTH_PARAM.fullmatch(part)
        if match:
            params[match.group(1)] = match.group(2)
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in params]
    if missing:
        # API Gateway's wording, one sentence per missing parameter.
        message = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        raise _incomplete(f"{message} Authorization={header}", message)
    credential = params["Credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request" or not all(credential):
        raise _incomplete(
            "Authorization header requires a Credential parameter of the form "
            "<access key>/<YYYYMMDD>/<region>/<service>/aws4_request.",
            f"malformed Credential {params['Credential']!r}",
        )
    signed_headers = tuple(params["SignedHeaders"].split(";"))
    return Authorization(
        access_key_id=credential[0],
        date=credential[1],
        region=credential[2],
        service=credential[3],
        signed_headers=signed_headers,
        signature=params["Signature"],
    )


def canonical_uri(raw_path: str) -> str:
    """The path as non-S3 services sign it: dot segments and empty segments removed, then
    URI-encoded once more (so an already encoded `%2F` becomes `%252F`)."""
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalised = "/" + "/".join(segments)
    if raw_path.endswith("/") and segments:
        normalised += "/"
    return quote(normalised, safe="/~")


def canonical_query_string(raw_query: str) -> str:
    """Each name and value decoded, re-encoded the RFC 3986 way, then sorted by name and value."""
    if not raw_query:
        return ""
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        pairs.append((_rfc3986(name), _rfc3986(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _rfc3986(text: str) -> str:
    # '+' means a space in a query string (botocore sends params that way, signing %20).
    return quote(unquote_plus(text), safe="-_.~")


def canonical_headers(request: ReceivedRequest, signed_headers: Sequence[str]) -> str:
    """`name:value` lines for the signed headers; repeated headers joined with commas and
    runs of whitespace collapsed, as the specification's Trimall does."""
    lines = []
    for name in signed_headers:
        values = request.header_values(name)
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    return "\n".join(lines) + "\n"


def canonical_request(
    request: ReceivedRequest, signed_headers: Sequence[str], payload_hash: str
) -> str:
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.path),
            canonical_query_string(request.query),
            canonical_headers(request, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, amz_date, scope, digest])


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_access_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def verify_request(
    request: ReceivedRequest,
    secret_for: Callable[[str], str | None],
    now: datetime,
    *,
    service: str = SERVICE,
    region: str | None = None,
    max_skew: timedelta = MAX_CLOCK_SKEW,
) -> VerifiedSignature:
    """Checks the request's SigV4 signature; returns the signer or raises SignatureError.

    `secret_for` maps an access key id to its secret access key (None when unknown).
    `region`, when given, is the only region accepted in the credential scope; otherwise
    any region is accepted (local clients sign with whatever AWS_REGION they have).
    """
    header = request.header("authorization")
    if header is None:
        if "X-Amz-Signature=" in request.query:
            raise _incomplete(
                MISSING_TOKEN,
                "presigned URLs (signature in the query string) are not supported locally; "
                "sign with the Authorization header",
            )
        raise _incomplete(MISSING_TOKEN, "no Authorization header: the request is not signed")
    auth = parse_authorization(header)

    if auth.service != service:
        raise _invalid(
            f"Credential should be scoped to correct service: '{service}'. ",
            f"credential scope names service {auth.service!r}, expected {service!r}",
        )
    if region is not None and auth.region != region:
        raise _invalid(
            f"Credential should be scoped to a valid region, not '{auth.region}'. ",
            f"credential scope names region {auth.region!r}, expected {region!r}",
        )
    if list(auth.signed_headers) != sorted(set(auth.signed_headers)) or any(
        name != name.lower() or not name for name in auth.signed_headers
    ):
        raise _incomplete(
            "SignedHeaders must be lowercase, sorted and without duplicates.",
            f"SignedHeaders {';'.join(auth.signed_headers)!r} is not a sorted lowercase list",
        )
    for required in ("host", "x-amz-date"):
        if required not in auth.signed_headers:
            raise _incomplete(
                f"Authorization header requires the '{required}' header to be signed.",
                f"the {required!r} header is not among the signed headers "
                f"({';'.join(auth.signed_headers)})",
            )
    unsent = [name for name in auth.signed_headers if not request.header_values(name)]
    if unsent:
        raise _invalid(
            SIGNATURE_MISMATCH, f"signed header(s) missing from the request: {', '.join(unsent)}"
        )
    token = request.header("x-amz-security-token")
    if token is not None and "x-amz-security-token" not in auth.signed_headers:
        raise _incomplete(
            "The x-amz-security-token header must be signed.",
            "x-amz-security-token is present but not among the signed headers",
        )

    amz_date = request.header("x-amz-date") or ""
    signed_at = _parse_amz_date(amz_date)
    if auth.date != amz_date[:8]:
        raise _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{auth.date}' != '{amz_date[:8]}', from '{amz_date}'.",
            f"credential scope date {auth.date} differs from x-amz-date {amz_date}",
        )
    _check_clock_skew(signed_at, now, max_skew)

    payload_hash = _payload_hash(request)

    secret = secret_for(auth.access_key_id)
    if secret is None:
        raise UnknownAccessKey(auth.access_key_id)

    canonical = canonical_request(request, auth.signed_headers, payload_hash)
    to_sign = string_to_sign(amz_date, auth.scope, canonical)
    expected = sign(signing_key(secret, auth.date, auth.region, auth.service), to_sign)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        # Like AWS, tell the client what was signed: it is the quickest way to find a
        # client-side mistake, and it holds nothing secret.
        raise _invalid(
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n",
            "signature mismatch: wrong secret access key, or the method, path, query, "
            "a signed header or the body differs from what was signed",
        )
    return VerifiedSignature(
        access_key_id=auth.access_key_id,
        region=auth.region,
        signed_at=signed_at,
        security_token=token,
    )


def _parse_amz_date(amz_date: str) -> datetime:
    try:
        return datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise _incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            f"x-amz-date {amz_date!r} is missing or not of the form YYYYMMDDTHHMMSSZ",
        ) from None


def _check_clock_skew(signed_at: datetime, now: datetime, max_skew: timedelta) -> None:
    minutes = int(max_skew.total_seconds() // 60)
    stamp = signed_at.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - max_skew:
        earliest = (now - max_skew).strftime(AMZ_DATE_FORMAT)
        raise _invalid(
            f"Signature expired: {stamp} is now earlier than {earliest} "
            f"({now.strftime(AMZ_DATE_FORMAT)} - {minutes} min.)",
            f"signature expired: signed at {stamp}, more than {minutes} min before now",
        )
    if signed_at > now + max_skew:
        latest = (now + max_skew).strftime(AMZ_DATE_FORMAT)
        raise _invalid(
            f"Signature not yet current: {stamp} is still later than {latest} "
            f"({now.strftime(AMZ_DATE_FORMAT)} + {minutes} min.)",
            f"signature not yet current: signed at {stamp}, more than {minutes} min after now",
        )


def _payload_hash(request: ReceivedRequest) -> str:
    """The payload hash that goes into the canonical request.

    A client may send x-amz-content-sha256 instead of letting the server hash the body; then
    the header is what was signed, so it must also match the body actually received, or the
    body could be swapped while the signature still checks out.
    """
    actual = hashlib.sha256(request.body).hexdigest()
    claimed = request.header("x-amz-content-sha256")
    if claimed is None:
        return actual
    if not _SHA256_HEX.fullmatch(claimed):
        raise _invalid(
            "The relay requires a signed payload: x-amz-content-sha256 must be the hex "
            "SHA-256 of the body.",
            f"x-amz-content-sha256 is {claimed!r}, not a SHA-256 of the body",
        )
    if not hmac.compare_digest(claimed, actual):
        raise _invalid(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            "x-amz-content-sha256 does not match the SHA-256 of the body received",
        )
    return claimed
