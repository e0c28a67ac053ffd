"""A local relay for one team's function: the real relay policy, this team's registry, and keys
made for this function's role when it starts.

A team repository carries this package as `slackgate_local.local` (a copy of
`shared_gateway/local`, with the relay beside it as `slackgate_local.relay`), so its
`make local`, `make local-relay` and tests need no second repository and no network:

    spec = TeamSpec.from_settings(SETTINGS)          # the repo's infra/settings.py
    with LocalLoop(spec) as loop:                    # 127.0.0.1, a free port
        os.environ.update(loop.signing_variables())  # the keys made for slackgate-<team>-<fn>
        ...                                          # the function posts; each message is reported
        loop.exchanges                               # decision, reasons, what Slack received

What runs is the deployed relay's own `Relay.handle` (identity, channel, payload and content
policy, forwarding) behind the local API Gateway stand-in (`server`: routing, SigV4 with the
region pinned to the function's, the proxy event), posting to an in-process Slack stand-in.
The registry has one team: its channels (all posting to the stand-in) and link domains.

The keys are new on every start, so a key from an earlier run is refused as unknown, with
that said in the answer (`UNKNOWN_KEY_HINT`) instead of a guess about clocks or regions.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..relay.forwarder import Forwarder
from ..relay.handler import Relay
from ..relay.registry import ACTIONS, Registry, parse_registry
from .credentials import Principal, signing_variables
from .server import LocalRelayServer, make_server
from .slack_standin import SlackStandin
from .summary import Exchange, describe_exchange

LOCAL_ACCOUNT_ID = "000000000000"
SESSION_NAME = "local"
UNKNOWN_KEY_HINT = (
    "this key is not one the local relay made (it makes new keys each time it starts) - "
    "run make local, which signs with the keys it makes, or use the keys make local-relay "
    "printed"
)
DELIVERY_DEADLINE_SECONDS = 5.0  # the stand-in answers at once unless scripted to be slow

Report = Callable[[str], None]


class TeamSpec(NamedTuple):
    """What the local registry and keys are made from: one team and one of its functions."""

    team: str
    function_name: str
    channels: tuple[str, ...]
    link_domains: tuple[str, ...] = ()
    region: str = "us-east-1"
    action: str = "block"

    @classmethod
    def from_settings(cls, settings: Any) -> TeamSpec:
        """From a team repository's `infra.settings.SETTINGS` (team, function_name,
        default_channel, aws_region; `channels` and `link_domains` when it has them)."""
        channels = tuple(getattr(settings, "channels", ()) or (settings.default_channel,))
        return cls(
            team=settings.team,
            function_name=settings.function_name,
            channels=channels,
            link_domains=tuple(getattr(settings, "link_domains", ())),
            region=settings.aws_region,
        )

    @property
    def role_name(self) -> str:
        return f"slackgate-{self.team}-{self.function_name}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:sts::{LOCAL_ACCOUNT_ID}:assumed-role/{self.role_name}/{SESSION_NAME}"


def make_principal(spec: TeamSpec) -> Principal:
    """Fresh keys for the function's role: `LOCAL<TEAM><FUNCTION><8 hex>`, a random secret."""
    name = "".join(ch for ch in f"{spec.team}{spec.function_name}".upper() if ch.isalnum())
    return Principal(
        access_key_id=f"LOCAL{name[:100]}{secrets.token_hex(4).upper()}",
        secret_access_key=secrets.token_urlsafe(30),
        role_arn=spec.role_arn,
    )


def registry_toml(spec: TeamSpec, webhook_url: str) -> str:
    """The registry of this one team, every channel posting to `webhook_url`."""

    def strings(values: tuple[str, ...]) -> str:
        return "[" + ", ".join(json.dumps(value) for value in values) + "]"

    lines = [
        f"[teams.{spec.team}]",
        f"channels = {strings(spec.channels)}",
        f"link_domains = {strings(spec.link_domains)}",
        f"action = {json.dumps(spec.action if spec.action in ACTIONS else 'block')}",
    ]
    for alias in dict.fromkeys(spec.channels):
        lines += ["", f"[channels.{alias}]", f"url = {json.dumps(webhook_url)}"]
    return "\n".join(lines) + "\n"


class GatewayRefusal(NamedTuple):
    """A request refused before the relay ran (as API Gateway would): signature, route, size."""

    status: int
    why: str


class LocalLoop:
    """The Slack stand-in, the relay with this team's registry, and the local API Gateway.

    Every message the relay handles is appended to `exchanges` and passed, described, to
    `report` (default: print). Requests refused before the relay (an unknown key, a bad
    signature, a skewed clock, the wrong region) go to `gateway_refusals` and `report` too.
    Raises RegistryError when the spec does not make a valid registry (e.g. a bad link
    domain) and OSError when `port` is taken.
    """

    def __init__(
        self,
        spec: TeamSpec,
        *,
        port: int = 0,
        slack_script: tuple[str, ...] = (),
        report: Report | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.principal = make_principal(spec)
        self.exchanges: list[Exchange] = []
        self.gateway_refusals: list[GatewayRefusal] = []
        self._report = report or (lambda text: print(text, flush=True))
        self._lock = threading.Lock()
        self._relay_log = io.StringIO()
        self.slack = SlackStandin(slack_script)
        try:
            self.registry: Registry = parse_registry(
                registry_toml(spec, self.slack.url), f"the local registry of team {spec.team}"
            )
            self._relay = Relay(
                self.registry,
                forwarder=Forwarder(deadline_seconds=DELIVERY_DEADLINE_SECONDS),
                log=self._relay_log,
            )
            self.server: LocalRelayServer = make_server(
                principals={self.principal.access_key_id: self.principal},
                handler=self._handle,
                port=port,
                region=spec.region,
                account_id=LOCAL_ACCOUNT_ID,
                clock=clock,
                log=self._gateway_log,
                unknown_key_hint=UNKNOWN_KEY_HINT,
            )
        except BaseException:
            self.slack.stop()
            raise

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def refused(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if not exchange.delivered]

    def signing_variables(self) -> dict[str, str]:
        """AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, SLACKGATE_URL and
        SLACKGATE_CHANNEL (the first channel) for a function posting through this loop."""
        variables = signing_variables(
            self.principal.access_key_id,
            self.principal.secret_access_key,
            self.url,
            self.spec.region,
        )
        return {**variables, "SLACKGATE_CHANNEL": self.spec.channels[0]}

    def describe(self) -> str:
        """Two lines on what this relay is: role, registry and the keys it made."""
        domains = ", ".join(self.spec.link_domains) or "none (no links allowed)"
        return (
            f"slackgate local relay for {self.spec.role_name} on {self.url} "
            f"(region {self.spec.region})\n"
            f"  team {self.spec.team}: channels {', '.join(self.spec.channels)}; "
            f"link domains {domains}; keys made now: {self.principal.access_key_id}"
        )

    def start(self) -> LocalLoop:
        self.slack.start()
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.slack.stop()

    def __enter__(self) -> LocalLoop:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Called from the server's request threads.

    def _handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # One message at a time, so that what the stand-in received belongs to this one.
        with self._lock:
            before = len(self.slack.received)
            response = self._relay.handle(event, context)
            received = self.slack.received[before:]
            record = self._take_relay_record()
            exchange = _exchange(len(self.exchanges) + 1, event, response, record, received)
            self.exchanges.append(exchange)
        self._report(describe_exchange(exchange))
        return response

    def _take_relay_record(self) -> dict[str, Any]:
        """The relay's own log line for the request just handled (its decision)."""
        lines = self._relay_log.getvalue().splitlines()
        self._relay_log.seek(0)
        self._relay_log.truncate()
        return json.loads(lines[-1]) if lines else {}

    def _gateway_log(self, line: str) -> None:
        # The server logs "<method> <path> <status> <ms>ms <caller>[ — <why>]"; a caller of
        # "-" means the request was refused before the relay ran (no exchange was made).
        head, _, why = line.partition(" — ")
        words = head.split()
        if len(words) >= 5 and words[4] == "-":
            refusal = GatewayRefusal(int(words[2]), why or head)
            with self._lock:
                self.gateway_refusals.append(refusal)
            self._report(f"refused before the relay ({refusal.status}): {refusal.why}")


def _exchange(
    number: int,
    event: Mapping[str, Any],
    response: Mapping[str, Any],
    record: Mapping[str, Any],
    received: list[Any],
) -> Exchange:
    try:
        body = json.loads(response.get("body") or "{}")
    except ValueError:
        body = {}
    identity = event.get("requestContext", {}).get("identity", {})
    delivered = [request.payload for request in received if request.payload is not None]
    return Exchange(
        number=number,
        caller=str(identity.get("userArn") or "-"),
        channel=record.get("channel") or body.get("channel"),
        status=int(response.get("statusCode", 0)),
        decision=str(record.get("decision") or ("delivered" if body.get("ok") else "refused")),
        error=body.get("error"),
        reasons=body.get("reasons") or (),
        redacted=body.get("redacted") or (),
        message_id=body.get("id"),
        slack=delivered[-1] if delivered else None,
        slack_attempts=len(delivered),
    )
