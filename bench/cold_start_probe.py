"""Run in a fresh interpreter by relay_bench.py: import the relay from an asset, serve one request.

    python -I -S -B cold_start_probe.py ASSET_DIR REGISTRY [--after-runtime]

ASSET_DIR is a copy of the relay's synthesized asset (`relay/` and its bytecode), as Lambda
unpacks it into /var/task. Prints [import_ms, first_request_ms, tls_setup_ms]. The registry
names a `url` channel on a server on 127.0.0.1 that the benchmark runs in its own process, so
nothing the delivery needs is imported here before the measured request. That delivery is
plain HTTP; tls_setup_ms is what the first HTTPS delivery adds on top (importing ssl and
loading the system's CA certificates), measured after it.

--after-runtime first imports the standard-library modules that Lambda's Python runtime
interface client (awslambdaric 4.2.2, bootstrap.py and the modules it imports) has loaded
before it imports a handler, so the figure is the relay's own share of a real cold start.
"""

from __future__ import annotations

import sys
import time

# awslambdaric 4.2.2: bootstrap.py imports importlib, json, logging, os, sys, time and
# traceback; lambda_runtime_log_utils.py enum; lambda_runtime_marshaller.py decimal and math.
RUNTIME_IMPORTS = ("importlib", "json", "logging", "traceback", "enum", "decimal", "math")

asset, registry = sys.argv[1], sys.argv[2]
if "--after-runtime" in sys.argv[3:]:
    for name in RUNTIME_IMPORTS:
        __import__(name)
sys.path.insert(0, asset)
started = time.perf_counter()
from relay import handler  # type: ignore[import-not-found]  # noqa: E402  (what is measured)

imported = time.perf_counter()

import json  # noqa: E402  (the relay has imported it already)
import os  # noqa: E402

os.environ["SLACKGATE_CONFIG"] = registry
caller = "arn:aws:sts::123456789012:assumed-role/slackgate-payments-nightly/fn"
event = {
    "body": json.dumps({"channel": "payments-alerts", "text": "nightly run: 3 batches, 0 errors"}),
    "requestContext": {"requestId": "r", "identity": {"userArn": caller}},
}
sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (the relay's log line)
before = time.perf_counter()
response = handler.handler(event, None)
served = time.perf_counter()
sys.stdout = sys.__stdout__
assert response["statusCode"] == 200, response

tls_started = time.perf_counter()
handler_forwarder = sys.modules["relay.forwarder"]
handler_forwarder._tls_context()  # what the first HTTPS delivery builds once per container
tls_ready = time.perf_counter()
print(
    json.dumps(
        [(imported - started) * 1000, (served - before) * 1000, (tls_ready - tls_started) * 1000]
    )
)
