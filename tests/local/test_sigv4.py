"""SigV4 verification, cross-checked against botocore's signer: what botocore signs must verify,
and every kind of tampering must fail with a reason that says what went wrong."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore.auth
import pytest

from shared_gateway.local.sigv4 import (
    INVALID_TOKEN,
    MISSING_TOKEN,
    SIGNATURE_MISMATCH,
    ReceivedRequest,
    SignatureError,
    VerifiedSignature,
    canonical_query_string,
    canonical_uri,
    parse_authorization,
    verify_request,
)
from tests.local.conftest import PAYMENTS_KEY, SEARCH_KEY, Signed, sign

URL = "http://127.0.0.1:8787/v1/messages"
BODY = '{"channel": "payments-alerts", "text": "nightly run finished"}'
SECRETS = {PAYMENTS_KEY[0]: PAYMENTS_KEY[1], SEARCH_KEY[0]: SEARCH_KEY[1]}


def received(signed: Signed) -> ReceivedRequest:
    """What a server gets on the wire for a botocore-signed request (http.client adds Host)."""
    parts = urlsplit(signed.url)
    headers = [("Host", parts.netloc), *signed.headers.items()]
    return ReceivedRequest(signed.method, parts.path, parts.query, headers, signed.body)


def verify(
    request: ReceivedRequest, *, now: datetime | None = None, region: str | None = None
) -> VerifiedSignature:
    return verify_request(request, SECRETS.get, now or datetime.now(UTC), region=region)


def replace_header(request: ReceivedRequest, name: str, value: str) -> ReceivedRequest:
    headers = [(k, value if k.lower() == name else v) for k, v in request.headers]
    return dataclasses.replace(request, headers=headers)


def rejection(
    request: ReceivedRequest, *, now: datetime | None = None, region: str | None = None
) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        verify(request, now=now, region=region)
    return caught.value


@pytest.fixture
def signed_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Makes botocore sign as if it were `when` (a real signature from another time)."""

    def set_time(when: datetime) -> None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: when)

    return set_time


# What botocore signs, the verifier accepts.


def test_a_botocore_signed_post_verifies() -> None:
    result = verify(received(sign("POST", URL, BODY, headers={"Content-Type": "application/json"})))
    assert result.access_key_id == "LOCALPAYMENTSNIGHTLY"
    assert result.region == "us-east-1"
    assert result.security_token is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/local/v1/messages",
        "http://127.0.0.1:8787/v1/messages?b=2&a=1&a=0",
        "http://127.0.0.1:8787/v1/messages?note=hello%20world&empty=&flag",
        "http://127.0.0.1:8787/odd%20path/with~tilde/./and/../dots//v1/messages",
        "http://127.0.0.1:8787/v1/messages%2Fencoded-slash",
        "http://127.0.0.1:8787/caf%C3%A9/v1/messages",
    ],
)
def test_paths_and_query_strings_canonicalise_like_botocore(url: str) -> None:
    verify(received(sign("POST", url, BODY)))


def test_query_parameters_given_to_botocore_as_params_verify() -> None:
    signed = sign("POST", URL, BODY, params={"z": "last", "a b": "x/y+z", "ünï": "☃"})
    verify(received(signed))


def test_every_region_is_accepted_unless_one_is_required() -> None:
    signed = received(sign("POST", URL, BODY, region="eu-west-1"))
    verify(signed)
    verify(signed, region="eu-west-1")
    error = rejection(signed, region="us-east-1")
    assert "region 'eu-west-1'" in error.reason


def test_a_session_token_is_accepted_when_signed() -> None:
    result = verify(received(sign("POST", URL, BODY, token="local-session-token")))
    assert result.security_token == "local-session-token"


def test_headers_with_runs_of_spaces_and_repeats_are_canonicalised() -> None:
    signed = received(sign("POST", URL, BODY, headers={"X-Note": "  two   spaces  here "}))
    verify(signed)
    # Two lines of the same header are signed as one comma-joined value.
    repeated = dataclasses.replace(
        signed, headers=[*signed.headers, ("X-Unsigned", "a"), ("X-Unsigned", "b")]
    )
    verify(repeated)


def test_a_signed_content_sha256_header_is_honoured_and_checked() -> None:
    digest = hashlib.sha256(BODY.encode()).hexdigest()
    signed = received(sign("POST", URL, BODY, headers={"X-Amz-Content-SHA256": digest}))
    verify(signed)
    swapped = dataclasses.replace(signed, body=b'{"channel": "payments-alerts", "text": "evil"}')
    assert "does not match the SHA-256 of the body" in rejection(swapped).reason


def test_an_unsigned_payload_is_refused() -> None:
    signed = received(sign("POST", URL, BODY, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    assert "not a SHA-256 of the body" in rejection(signed).reason


def test_signing_at_the_edge_of_the_clock_skew_window_verifies(
    signed_at: Callable[[datetime], None],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    signed_at(now - timedelta(minutes=4, seconds=59))
    verify(received(sign("POST", URL, BODY)), now=now)


# Tampering: each must fail, with a reason that names the problem.


def test_a_changed_body_fails() -> None:
    request = received(sign("POST", URL, BODY))
    tampered = dataclasses.replace(request, body=BODY.replace("finished", "failed").encode())
    error = rejection(tampered)
    assert error.message.startswith(SIGNATURE_MISMATCH)
    assert error.error_type == "InvalidSignatureException"
    assert "signature mismatch" in error.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("path", "/v1/other"),
        ("path", "/prod/v1/messages"),
        ("query", "extra=1"),
        ("method", "PUT"),
    ],
)
def test_a_changed_request_line_fails(field: str, value: str) -> None:
    request = received(sign("POST", URL, BODY))
    error = rejection(dataclasses.replace(request, **{field: value}))
    assert error.message.startswith(SIGNATURE_MISMATCH)
    # Like AWS, the answer shows what the server signed, to help find client mistakes.
    assert "The Canonical String for this request should have been" in error.message


def test_a_changed_signed_header_fails() -> None:
    request = received(sign("POST", URL, BODY, headers={"Content-Type": "application/json"}))
    error = rejection(replace_header(request, "content-type", "text/plain"))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_a_changed_host_fails() -> None:
    request = received(sign("POST", URL, BODY))
    error = rejection(replace_header(request, "host", "127.0.0.1:9999"))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_a_signed_header_missing_from_the_request_is_named() -> None:
    request = received(sign("POST", URL, BODY, headers={"X-Trace": "abc"}))
    stripped = dataclasses.replace(
        request, headers=[(k, v) for k, v in request.headers if k.lower() != "x-trace"]
    )
    assert "missing from the request: x-trace" in rejection(stripped).reason


def test_a_changed_date_fails() -> None:
    request = received(sign("POST", URL, BODY))
    amz_date = request.header("x-amz-date")
    assert amz_date is not None
    later = (datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ") + timedelta(seconds=1)).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    error = rejection(replace_header(request, "x-amz-date", later))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_an_expired_signature_fails(signed_at: Callable[[datetime], None]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    signed_at(now - timedelta(minutes=6))
    error = rejection(received(sign("POST", URL, BODY)), now=now)
    assert error.message.startswith("Signature expired: ")
    assert "is now earlier than" in error.message
    assert "signature expired" in error.reason


def test_a_signature_from_the_future_fails(signed_at: Callable[[datetime], None]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    signed_at(now + timedelta(minutes=6))
    error = rejection(received(sign("POST", URL, BODY)), now=now)
    assert error.message.startswith("Signature not yet current: ")


def test_a_credential_scope_date_that_differs_from_x_amz_date_fails(
    signed_at: Callable[[datetime], None],
) -> None:
    request = received(sign("POST", URL, BODY))
    auth = request.header("authorization") or ""
    scope_date = parse_authorization(auth).date
    other_day = auth.replace(f"/{scope_date}/", "/20200101/")
    error = rejection(replace_header(request, "authorization", other_day))
    assert "Date in Credential scope does not match" in error.message


def test_another_service_fails() -> None:
    error = rejection(received(sign("POST", URL, BODY, service="lambda")))
    assert error.message == "Credential should be scoped to correct service: 'execute-api'. "
    assert "'lambda'" in error.reason


def test_the_wrong_secret_fails() -> None:
    error = rejection(received(sign("POST", URL, BODY, key=(PAYMENTS_KEY[0], "not-the-secret"))))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_another_principals_secret_fails() -> None:
    error = rejection(received(sign("POST", URL, BODY, key=(PAYMENTS_KEY[0], SEARCH_KEY[1]))))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_an_unknown_access_key_fails() -> None:
    error = rejection(received(sign("POST", URL, BODY, key=("LOCALNOBODY", "whatever"))))
    assert error.message == INVALID_TOKEN
    assert error.error_type == "UnrecognizedClientException"
    assert "'LOCALNOBODY'" in error.reason


def test_swapping_the_access_key_in_the_header_fails() -> None:
    # Claiming to be another principal with one's own signature does not work.
    request = received(sign("POST", URL, BODY, key=SEARCH_KEY))
    auth = (request.header("authorization") or "").replace(SEARCH_KEY[0], PAYMENTS_KEY[0])
    error = rejection(replace_header(request, "authorization", auth))
    assert error.message.startswith(SIGNATURE_MISMATCH)


def test_a_changed_signature_fails() -> None:
    request = received(sign("POST", URL, BODY))
    auth = request.header("authorization") or ""
    flipped = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    assert rejection(replace_header(request, "authorization", flipped)).message.startswith(
        SIGNATURE_MISMATCH
    )


def test_a_missing_authorization_header_is_a_missing_token() -> None:
    request = ReceivedRequest("POST", "/v1/messages", "", [("Host", "127.0.0.1")], b"{}")
    error = rejection(request)
    assert error.message == MISSING_TOKEN
    assert "not signed" in error.reason


def test_a_presigned_url_is_refused_with_a_reason() -> None:
    request = ReceivedRequest(
        "POST", "/v1/messages", "X-Amz-Signature=abc", [("Host", "127.0.0.1")], b""
    )
    assert "presigned" in rejection(request).reason


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        ("Bearer abc", "only AWS4-HMAC-SHA256"),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab", "'Credential' parameter"),
        ("AWS4-HMAC-SHA256 Credential=K/20260101/r/execute-api/aws4_request", "'Signature'"),
        (
            "AWS4-HMAC-SHA256 Credential=K/20260101/execute-api, SignedHeaders=host, Signature=a",
            "malformed Credential",
        ),
    ],
)
def test_a_malformed_authorization_header_says_what_is_wrong(
    authorization: str, expected: str
) -> None:
    request = received(sign("POST", URL, BODY))
    error = rejection(replace_header(request, "authorization", authorization))
    assert error.error_type == "IncompleteSignatureException"
    assert expected in error.reason


def test_host_and_x_amz_date_must_be_signed() -> None:
    request = received(sign("POST", URL, BODY))
    auth = request.header("authorization") or ""
    parsed = parse_authorization(auth)
    for required in ("host", "x-amz-date"):
        others = ";".join(h for h in parsed.signed_headers if h != required)
        without = auth.replace(";".join(parsed.signed_headers), others)
        error = rejection(replace_header(request, "authorization", without))
        assert f"'{required}' header is not among the signed headers" in error.reason


def test_an_unsigned_security_token_is_refused() -> None:
    request = received(sign("POST", URL, BODY, token="tok"))
    auth = request.header("authorization") or ""
    parsed = parse_authorization(auth)
    others = ";".join(h for h in parsed.signed_headers if h != "x-amz-security-token")
    without = auth.replace(";".join(parsed.signed_headers), others)
    error = rejection(replace_header(request, "authorization", without))
    assert "x-amz-security-token is present but not among the signed headers" in error.reason


def test_a_malformed_x_amz_date_is_named() -> None:
    request = received(sign("POST", URL, BODY))
    error = rejection(replace_header(request, "x-amz-date", "yesterday"))
    assert "'yesterday'" in error.reason


# The canonical pieces, against the specification's examples.


def test_canonical_uri_double_encodes_and_removes_dot_segments() -> None:
    assert canonical_uri("") == "/"
    assert canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert canonical_uri("/a%20b") == "/a%2520b"
    assert canonical_uri("/~user/x") == "/~user/x"


def test_canonical_query_string_sorts_and_reencodes() -> None:
    assert canonical_query_string("") == ""
    assert canonical_query_string("b=2&a=1&a=0") == "a=0&a=1&b=2"
    assert canonical_query_string("flag&x=a b") == "flag=&x=a%20b"
    assert canonical_query_string("k=%7e%2f") == "k=~%2F"
    assert canonical_query_string("a+b=c%2Bd") == "a%20b=c%2Bd"  # '+' is a space
