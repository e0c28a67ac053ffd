"""Posting to Slack through the slackgate relay — the only way out of this function.

    from . import slack

    message_id = slack.post(channel="payments-alerts", text="Done", blocks=[...])

The arguments are those of slack_sdk's ``WebhookClient.send`` that the relay forwards
(``text``, ``blocks``, ``attachments``, ``thread_ts``, ``reply_broadcast``, ``mrkdwn``,
``metadata``, ``unfurl_links``, ``unfurl_media``), plus ``channel``: an alias from the
relay's registry, not a Slack channel id. The relay checks every message and
answers with a message id, or refuses it with ``MessageBlocked`` saying why.

Each request is signed with SigV4 (service ``execute-api``) using the function's own
credentials: the relay knows the team from the role that signed, never from the message.
The request goes straight to ``$SLACKGATE_URL/v1/messages`` — no proxies, no redirects,
nothing sent but the signed request. Standard library and botocore only (both are in the
Lambda runtime).
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session

__all__ = ["MessageBlocked", "SlackgateError", "post"]

MESSAGES_PATH = "/v1/messages"
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024  # the relay's answers are small; never read an unbounded body
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class SlackgateError(Exception):
    """The message did not get through: configuration, transport or the relay's upstream.

    ``status`` is the HTTP status when there was an answer; ``error`` the relay's code
    (``upstream_error``, ``upstream_timeout``, ...) when it gave one.
    """

    def __init__(self, message: str, *, status: int | None = None, error: str | None = None):
        super().__init__(message)
        self.status = status
        self.error = error


class MessageBlocked(SlackgateError):
    """The relay refused the message (4xx): ``error`` is its code, ``reasons`` say why.

    Each reason is ``{"rule": ..., "path": ..., "message": ...}``; ``path`` points into the
    payload (``blocks[0].text.text``). Retrying the same message will not help, except for
    ``rate_limited``.
    """

    def __init__(self, error: str, reasons: Sequence[Mapping[str, Any]], *, status: int):
        self.reasons: list[dict[str, Any]] = [dict(reason) for reason in reasons]
        details = "; ".join(
            f"{reason.get('path') or '-'}: {reason.get('message') or reason.get('rule')}"
            for reason in self.reasons
        )
        super().__init__(
            f"slackgate refused the message ({error}){': ' + details if details else ''}",
            status=status,
            error=error,
        )

    @property
    def retryable(self) -> bool:
        return self.error == "rate_limited"


def post(
    *,
    channel: str | None = None,
    text: str | None = None,
    blocks: Sequence[Mapping[str, Any]] | None = None,
    attachments: Sequence[Mapping[str, Any]] | None = None,
    thread_ts: str | None = None,
    reply_broadcast: bool | None = None,
    mrkdwn: bool | None = None,
    metadata: Mapping[str, Any] | None = None,
    unfurl_links: bool | None = None,
    unfurl_media: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> str:
    """Sends one message through the relay and returns the relay's message id.

    ``channel`` defaults to ``$SLACKGATE_CHANNEL``. Give ``text`` always: it is the
    notification text, and the fallback when ``blocks`` cannot be shown. ``reply_broadcast``
    (with ``thread_ts``) also shows a thread reply in the channel; ``mrkdwn=False`` shows
    ``text`` as typed. ``unfurl_links`` and ``unfurl_media`` are accepted, but the relay
    always sends them as false: Slack fetching a link by itself would reach its host with
    no reader involved. A field left as None is not sent.
    """
    channel = channel or os.environ.get("SLACKGATE_CHANNEL")
    if not channel:
        raise SlackgateError("no channel: pass channel=... or set SLACKGATE_CHANNEL")
    if text is None and not blocks and not attachments:
        raise SlackgateError("an empty message: give text, blocks or attachments")
    fields = {
        "text": text,
        "blocks": list(blocks) if blocks is not None else None,
        "attachments": list(attachments) if attachments is not None else None,
        "thread_ts": thread_ts,
        "reply_broadcast": reply_broadcast,
        "mrkdwn": mrkdwn,
        "metadata": dict(metadata) if metadata is not None else None,
        "unfurl_links": unfurl_links,
        "unfurl_media": unfurl_media,
    }
    # `is not None`: False is a value to send (mrkdwn=False), not an absent field.
    payload = {"channel": channel, **{k: v for k, v in fields.items() if v is not None}}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    status, answer = _send_signed(_messages_url(), body, timeout)
    return _message_id(status, answer)


# API Gateway's answers when it refuses a request itself, by their wording, and what each
# means: the real cause, not a list of things to check.
_CLOCK = (
    "this machine's clock is more than 5 minutes off (SigV4 signatures hold for 5 minutes); "
    "set it right (NTP) and try again"
)
GATEWAY_DIAGNOSES = (
    (
        "Missing Authentication Token",
        "no such path: SLACKGATE_URL must be the relay's base URL including the stage",
    ),
    (
        "The security token included in the request is invalid",
        "the access key that signed is unknown to it — in Lambda the function's role signs; "
        "locally, sign with the keys the local relay made (make local does)",
    ),
    (
        "signature we calculated does not match",
        "the signature does not match: the secret access key is wrong, or the request was "
        "changed after it was signed",
    ),
    ("Signature expired", _CLOCK),
    ("Signature not yet current", _CLOCK),
    (
        "Credential should be scoped to a valid region",
        "AWS_REGION is not the relay's region: sign for the region the gateway runs in",
    ),
    (
        "Credential should be scoped to correct service",
        "the request was signed for another service; the relay takes execute-api",
    ),
    (
        "is not authorized to perform",
        "the relay's API admits only slackgate function roles calling through the gateway's "
        "endpoint: run the function with its slackgate-<team>-<function> role, in its VPC",
    ),
)


def gateway_diagnosis(status: int, message: str) -> str:
    for wording, meaning in GATEWAY_DIAGNOSES:
        if wording in message:
            return meaning
    if status == 403:
        return "the request was not accepted as signed by a slackgate function role"
    return "check SLACKGATE_URL (it is the relay's base URL including the stage)"


# --- the adapter: URL, signing, one HTTP exchange ----------------------------------------------


def _messages_url() -> str:
    base = os.environ.get("SLACKGATE_URL", "").strip()
    if not base:
        raise SlackgateError(
            "SLACKGATE_URL is not set: it is the relay's base URL, set by the stack "
            "(https://<api-id>.execute-api.<region>.amazonaws.com/<stage>), or "
            "http://127.0.0.1:8787 for the local relay"
        )
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SlackgateError(f"SLACKGATE_URL must be an http(s) URL, not {base!r}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise SlackgateError("SLACKGATE_URL may use plain http only for a relay on this machine")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise SlackgateError("SLACKGATE_URL must be a bare base URL (no query or credentials)")
    return base.rstrip("/") + MESSAGES_PATH


def _region() -> str:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        raise SlackgateError("AWS_REGION is not set (Lambda sets it; export it when local)")
    return region


_session: Session | None = None


def _credentials() -> Any:
    # One botocore session per execution environment: it refreshes the role's credentials.
    global _session
    if _session is None:
        _session = Session()
    credentials = _session.get_credentials()
    if credentials is None:
        raise SlackgateError(
            "no AWS credentials to sign with (in Lambda they come from the function's role; "
            "locally export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        )
    return credentials.get_frozen_credentials()


def _signed_headers(url: str, body: bytes) -> dict[str, str]:
    parts = urlsplit(url)
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        # Host is set here so that exactly the signed value is sent.
        headers={"Host": parts.netloc, "Content-Type": "application/json"},
    )
    SigV4Auth(_credentials(), "execute-api", _region()).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def _send_signed(url: str, body: bytes, timeout: float) -> tuple[int, Any]:
    headers = _signed_headers(url, body)
    parts = urlsplit(url)
    path = parts.path or "/"
    # http.client reads no proxy settings and follows no redirects: the request goes to
    # SLACKGATE_URL's host or nowhere.
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "",
            parts.port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        raw = response.read(MAX_RESPONSE_BYTES + 1)
        status = response.status
    except TimeoutError as error:
        raise SlackgateError(f"the relay did not answer within {timeout:g} s") from error
    except (OSError, http.client.HTTPException) as error:
        raise SlackgateError(f"could not reach the relay at {parts.netloc}: {error}") from error
    finally:
        connection.close()
    if len(raw) > MAX_RESPONSE_BYTES:
        raise SlackgateError("the relay's answer is unexpectedly large", status=status)
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    return status, answer


def _message_id(status: int, answer: Any) -> str:
    """Turns the relay's (or API Gateway's) answer into an id or a typed error."""
    answer = answer if isinstance(answer, dict) else {}
    if status == 200 and answer.get("ok") is True and isinstance(answer.get("id"), str):
        return answer["id"]
    error = answer.get("error")
    if 300 <= status < 400:
        raise SlackgateError(
            f"the relay answered with a redirect ({status}), which is never followed; "
            "check SLACKGATE_URL",
            status=status,
        )
    if isinstance(error, str) and 400 <= status < 500:
        reasons = answer.get("reasons")
        reasons = [r for r in reasons if isinstance(r, dict)] if isinstance(reasons, list) else []
        raise MessageBlocked(error, reasons, status=status)
    if isinstance(error, str):
        raise SlackgateError(f"the relay could not deliver ({error})", status=status, error=error)
    gateway_message = answer.get("message")
    if isinstance(gateway_message, str):
        # API Gateway itself answered: the request never reached the relay. A signature
        # mismatch goes on with the canonical request; its first line says enough.
        first_line = gateway_message.strip().split("\n", 1)[0]
        diagnosis = gateway_diagnosis(status, first_line)
        raise SlackgateError(
            f"API Gateway refused ({status}: {first_line}): {diagnosis}", status=status
        )
    raise SlackgateError(f"unexpected answer from the relay (HTTP {status})", status=status)
