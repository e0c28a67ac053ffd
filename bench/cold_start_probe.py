"""Run in a fresh interpreter by relay_bench.py: import the handler, serve one request.

Prints [import_ms, first_request_ms]. The webhook is a local HTTP server on 127.0.0.1
(secrets stubbed: the registry names a `url` channel), so nothing leaves the machine.
"""

from __future__ import annotations

import time

started = time.perf_counter()
from shared_gateway.relay import handler  # noqa: E402  (the import is what is measured)

imported = time.perf_counter()

import http.server  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402


class Webhook(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        registry = os.path.join(tmp, "registry.toml")
        with open(registry, "w") as out:
            out.write(
                '[teams.payments]\nchannels = ["payments-alerts"]\n[channels.payments-alerts]\n'
                f'url = "http://127.0.0.1:{server.server_port}/hook"\n'
            )
        os.environ["SLACKGATE_CONFIG"] = registry
        caller = "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn"
        event = {
            "body": json.dumps({"channel": "payments-alerts", "text": "hello"}),
            "requestContext": {"requestId": "r", "identity": {"userArn": caller}},
        }
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (the relay's log line)
        before = time.perf_counter()
        response = handler.handler(event, None)
        served = time.perf_counter()
        sys.stdout = sys.__stdout__
    server.shutdown()
    assert response["statusCode"] == 200, response
    print(json.dumps([(imported - started) * 1000, (served - before) * 1000]))


main()
