"""A local stand-in for the relay's private API Gateway REST API (AWS_IAM auth, Lambda proxy).

It listens on 127.0.0.1 only and does what API Gateway does before the relay function runs:
routes `POST /v1/messages` (optionally behind a stage segment, `/local/v1/messages`), caps
the body at 10 MB, verifies the SigV4 signature against the local credentials file, and
turns the request into a REST proxy (payload format 1.0) event whose
`requestContext.identity.userArn` comes only from the verified access key's entry. The
handler's proxy response goes back to the client as is.

    server = make_server(principals=load_credentials(), handler=my_handler, port=0)
    with server:                      # serves on a daemon thread until the block ends
        print(server.messages_url)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from .credentials import Principal
from .sigv4 import MISSING_TOKEN, ReceivedRequest, SignatureError, UnknownAccessKey, verify_request

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Log = Callable[[str], None]

HOST = "127.0.0.1"  # never anything else: the relay forwards to Slack for whoever can reach it
RESOURCE = "/v1/messages"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit
# After an early answer, up to this much of an unread body is read and thrown away (for at
# most DISCARD_SECONDS) before the connection closes: closing with unread data would reset
# the connection, and a client still sending would lose the answer.
MAX_DISCARD_BYTES = 64 * 1024 * 1024
DISCARD_SECONDS = 5.0
DEFAULT_STAGE = "local"
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
FUNCTION_NAME = "slackgate-relay-local"
FUNCTION_TIMEOUT_SECONDS = 15.0
# What a refused unknown access key is told, after API Gateway's own sentence: where this
# relay's keys come from (the credentials file here; a team's local relay says otherwise).
DEFAULT_UNKNOWN_KEY_HINT = "it is not in the local relay's credentials file"
MEMORY_LIMIT_MB = "256"  # the Lambda runtime hands this over as a string, so do we

_INTERNAL_ERROR = {"message": "Internal server error"}
_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")  # API Gateway's stage name characters


class LambdaContext:
    """The parts of the Lambda context object a handler uses, with a real deadline."""

    def __init__(
        self,
        request_id: str,
        timeout_seconds: float,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = FUNCTION_NAME
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{FUNCTION_NAME}"
        self.memory_limit_in_mb = MEMORY_LIMIT_MB
        self.log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
        self.log_stream_name = f"local/[$LATEST]{request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def match_route(method: str, raw_path: str) -> str | None:
    """The stage the request addresses, or None when API Gateway would not route it.

    `/v1/messages` addresses the default stage; `/<stage>/v1/messages` names one, so a base
    URL copied from a deployed API (which ends in its stage) works unchanged.
    """
    if method != "POST":
        return None
    if raw_path == RESOURCE:
        return ""
    stage, _, rest = raw_path.removeprefix("/").partition("/")
    if raw_path.startswith("/") and _STAGE_NAME.fullmatch(stage) and "/" + rest == RESOURCE:
        return stage
    return None


def build_event(
    request: ReceivedRequest,
    principal: Principal,
    *,
    stage: str,
    request_id: str,
    request_time: datetime,
    account_id: str = DEFAULT_ACCOUNT_ID,
    domain_name: str = HOST,
    source_ip: str = HOST,
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) API Gateway would hand the relay.

    The identity block is filled from `principal` alone — the entry of the access key whose
    signature was verified — never from anything the request carries.
    """
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    # API Gateway adds these itself; a client cannot choose them.
    for name, value in (
        ("X-Forwarded-For", source_ip),
        ("X-Forwarded-Port", domain_name.rpartition(":")[2] if ":" in domain_name else "80"),
        ("X-Forwarded-Proto", "http"),
    ):
        _drop_header(headers, multi_headers, name)
        headers[name] = value
        multi_headers[name] = [value]

    query_pairs = parse_qsl(request.query, keep_blank_values=True)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query_pairs:
        query[name] = value
        multi_query.setdefault(name, []).append(value)

    body: str | None
    is_base64 = False
    if not request.body:
        body = None
    else:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True

    epoch_ms = int(request_time.timestamp() * 1000)
    user_agent = next(
        (value for name, value in request.headers if name.lower() == "user-agent"), None
    )
    return {
        "resource": RESOURCE,
        "path": RESOURCE,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": RESOURCE,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": request_time.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{RESOURCE}",
            "accountId": account_id,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "local",
            "requestTimeEpoch": epoch_ms,
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": principal.account_id,
                "cognitoIdentityId": None,
                "caller": principal.caller,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": principal.access_key_id,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": principal.role_arn,
                "userAgent": user_agent,
                "user": principal.caller,
            },
            "domainName": domain_name,
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _drop_header(headers: dict[str, str], multi: dict[str, list[str]], name: str) -> None:
    for key in [k for k in headers if k.lower() == name.lower()]:
        del headers[key]
        multi.pop(key, None)


class GatewayResponse:
    """What goes back to the client: a status, headers and a body."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @classmethod
    def json(
        cls, status: int, payload: Mapping[str, Any], headers: list[tuple[str, str]] | None = None
    ) -> GatewayResponse:
        body = json.dumps(payload).encode()
        return cls(status, [("Content-Type", "application/json"), *(headers or [])], body)


def response_from_proxy_result(result: Any) -> GatewayResponse:
    """Turns a Lambda proxy response into the HTTP answer; raises ValueError when malformed
    (API Gateway then answers 502 Internal server error)."""
    if not isinstance(result, dict):
        raise ValueError(f"the handler returned {type(result).__name__}, not a dict")
    status = result.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status code")
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise ValueError("headers and multiValueHeaders must be objects")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ValueError(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((str(name), str(v)) for v in values)
    multi_names = {name.lower() for name in multi}
    headers.extend(
        (str(name), str(v)) for name, v in single.items() if name.lower() not in multi_names
    )
    body = result.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raise ValueError(f"body must be a string, not {type(body).__name__}")
    elif result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"isBase64Encoded is true but the body is not base64: {exc}") from None
    else:
        raw = body.encode("utf-8")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return GatewayResponse(status, headers, raw)


class LocalRelayServer(ThreadingHTTPServer):
    """The local API: one thread per connection, daemonic so it never holds up an exit."""

    daemon_threads = True

    def __init__(
        self,
        *,
        principals: Mapping[str, Principal],
        handler: Handler,
        port: int,
        stage: str,
        region: str | None,
        account_id: str,
        function_timeout: float,
        clock: Callable[[], float],
        log: Log,
        unknown_key_hint: str = DEFAULT_UNKNOWN_KEY_HINT,
    ) -> None:
        self.principals = dict(principals)
        self.unknown_key_hint = unknown_key_hint
        self.handler = handler
        self.stage = stage
        self.region = region
        self.account_id = account_id
        self.function_timeout = function_timeout
        self.clock = clock
        self.log = log
        self._thread: threading.Thread | None = None
        super().__init__((HOST, port), _RelayRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, like the deployed API's (`/slackgate/api/url`)."""
        return f"http://{HOST}:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.url}{RESOURCE}"

    def start(self) -> LocalRelayServer:
        """Serves on a daemon thread; returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"slackgate-local-relay:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes the socket; safe to call twice."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    def __enter__(self) -> LocalRelayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeouts, dropped connections) is normal here, not an error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def secret_for(self, access_key_id: str) -> str | None:
        principal = self.principals.get(access_key_id)
        return principal.secret_access_key if principal else None


def make_server(
    *,
    principals: Mapping[str, Principal],
    handler: Handler | None = None,
    port: int = 0,
    stage: str = DEFAULT_STAGE,
    region: str | None = None,
    account_id: str = DEFAULT_ACCOUNT_ID,
    function_timeout: float = FUNCTION_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.time,
    log: Log | None = None,
    unknown_key_hint: str = DEFAULT_UNKNOWN_KEY_HINT,
) -> LocalRelayServer:
    """Binds the local relay to 127.0.0.1:`port` (0 picks a free port); call `.start()` or
    `.serve_forever()`.

    `handler` defaults to the real relay handler, imported here (after binding the port, so
    a port in use is reported first) so that a broken relay fails at start rather than on
    the first request; ImportError then propagates. `region`, when given, is the only region a
    signature may be scoped to. `clock` returns epoch seconds (tests move it to check
    expiry). `log` receives one line per request (default: stderr). `unknown_key_hint` ends
    the answer to a key this relay does not know: how to get one it knows. Raises OSError
    when the port is taken.
    """
    server = LocalRelayServer(
        principals=principals,
        handler=handler or _no_handler,
        port=port,
        stage=stage,
        region=region,
        account_id=account_id,
        function_timeout=function_timeout,
        clock=clock,
        log=log or _log_to_stderr,
        unknown_key_hint=unknown_key_hint,
    )
    if handler is None:
        try:
            # Relative, so that this package works both in place (shared_gateway.local) and
            # as the copy a team repository carries (slackgate_local.local).
            from ..relay.handler import handler as relay_handler
        except BaseException:
            server.server_close()
            raise
        server.handler = relay_handler
    return server


def _no_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("no relay handler configured")


def _log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _RelayRequestHandler(BaseHTTPRequestHandler):
    server: LocalRelayServer
    protocol_version = "HTTP/1.1"  # keep-alive, as SDK clients expect
    server_version = "slackgate-local-relay"
    timeout = 60  # a client that stops sending does not hold a thread for ever
    # Bytes of body left unread by an early answer (None: unknown, chunked).
    _unread_body: int | None = 0

    def version_string(self) -> str:
        return self.server_version

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # replaced by one line per request in _serve

    def _serve(self) -> None:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        raw_path, _, query = self.path.partition("?")
        who = "-"
        self._unread_body = 0
        try:
            response, who, note = self._answer(raw_path, query, request_id)
        except Exception:  # a bug here must not kill the server thread silently
            response = GatewayResponse.json(500, _INTERNAL_ERROR)
            note = "local relay error:\n" + traceback.format_exc()
            self.close_connection = True  # the body may be half read
        # Logged before answering, so a client that has its answer also finds the log line.
        elapsed_ms = int((time.monotonic() - started) * 1000)
        line = f"{self.command} {raw_path} {response.status} {elapsed_ms}ms {who}"
        self.server.log(f"{line} — {note}" if note else line)
        if self._unread_body != 0:
            self.close_connection = True
        self._send(response, request_id)
        if self._unread_body != 0:
            self._discard_body(self._unread_body)

    def _answer(
        self, raw_path: str, query: str, request_id: str
    ) -> tuple[GatewayResponse, str, str]:
        """Returns the response, who made the request (for the log) and a note on why."""
        stage = match_route(self.command, raw_path)
        length = self._content_length()
        if stage is None:
            self._unread_body = length
            return (
                _error(403, MISSING_TOKEN, "MissingAuthenticationTokenException"),
                "-",
                f"no such route: only POST {RESOURCE} exists",
            )
        if length is None:
            self._unread_body = None
            return (
                GatewayResponse.json(411, {"message": "Length Required"}),
                "-",
                "no usable Content-Length (chunked bodies are not accepted)",
            )
        if length > MAX_BODY_BYTES:
            self._unread_body = length
            return (
                GatewayResponse.json(413, {"message": "Request Too Long"}),
                "-",
                f"body of {length} bytes exceeds {MAX_BODY_BYTES}",
            )
        body = self.rfile.read(length)
        request = ReceivedRequest(
            method=self.command,
            path=raw_path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
        )
        now = self.server.clock()
        try:
            verified = verify_request(
                request,
                self.server.secret_for,
                datetime.fromtimestamp(now, UTC),
                region=self.server.region,
            )
        except UnknownAccessKey as exc:
            # API Gateway stops at its first sentence; locally the cause is known exactly.
            explained = (
                f"{exc.message} The local relay does not know access key "
                f"{exc.access_key_id!r}: {self.server.unknown_key_hint}."
            )
            return (
                _error(403, explained, exc.error_type),
                "-",
                f"{exc.reason} — {self.server.unknown_key_hint}",
            )
        except SignatureError as exc:
            return _error(403, exc.message, exc.error_type), "-", exc.reason
        principal = self.server.principals[verified.access_key_id]
        event = build_event(
            request,
            principal,
            stage=stage or self.server.stage,
            request_id=request_id,
            request_time=datetime.fromtimestamp(now, UTC),
            account_id=self.server.account_id,
            domain_name=f"{HOST}:{self.server.port}",
            source_ip=self.client_address[0],
        )
        response, note = self._invoke(event, request_id)
        return response, principal.role_arn, note

    def _invoke(self, event: dict[str, Any], request_id: str) -> tuple[GatewayResponse, str]:
        """Runs the handler like Lambda would: with a deadline, a crash or a malformed answer
        becoming API Gateway's 502."""
        timeout = self.server.function_timeout
        context = LambdaContext(
            request_id,
            timeout,
            region=self.server.region or DEFAULT_REGION,
            account_id=self.server.account_id,
        )
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["result"] = self.server.handler(event, context)
            except BaseException:
                outcome["error"] = traceback.format_exc()

        worker = threading.Thread(target=call, name=f"relay-handler:{request_id}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return (
                GatewayResponse.json(502, _INTERNAL_ERROR),
                f"handler still running after its {timeout:g} s timeout (Lambda would stop it)",
            )
        if "error" in outcome:
            return GatewayResponse.json(502, _INTERNAL_ERROR), "handler raised:\n" + outcome[
                "error"
            ].rstrip()
        try:
            return response_from_proxy_result(outcome["result"]), ""
        except ValueError as exc:
            return GatewayResponse.json(502, _INTERNAL_ERROR), f"malformed proxy response: {exc}"

    def _content_length(self) -> int | None:
        """The declared body length; None for a chunked body, which is refused."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return length if length >= 0 else None

    def _discard_body(self, length: int | None) -> None:
        """Reads and drops an unanswered body (the answer has gone out already); a body of
        unknown length is read until the client closes or DISCARD_SECONDS pass."""
        remaining = MAX_DISCARD_BYTES if length is None else min(length, MAX_DISCARD_BYTES)
        deadline = time.monotonic() + DISCARD_SECONDS
        try:
            self.connection.settimeout(DISCARD_SECONDS)
            while remaining > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass  # the client gave up or never sent it: the connection closes either way

    def _send(self, response: GatewayResponse, request_id: str) -> None:
        self.send_response(response.status)
        reserved = {"content-length", "connection", "transfer-encoding"}
        for name, value in response.headers:
            if name.lower() not in reserved:
                self.send_header(name, value)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


def _error(status: int, message: str, error_type: str) -> GatewayResponse:
    return GatewayResponse.json(status, {"message": message}, [("x-amzn-ErrorType", error_type)])
