"""Run in a fresh interpreter by relay_bench.py: import the relay from an asset, serve one request.

    python cold_start_probe.py ASSET_DIR REGISTRY

ASSET_DIR is a copy of the relay's synthesized asset (`relay/` and its bytecode), as Lambda
unpacks it into /var/task. Prints [import_ms, first_request_ms]. The registry names a `url`
channel on a server on 127.0.0.1 that the benchmark runs in its own process, so nothing the
delivery needs (http.client) is imported here before the measured request.
"""

from __future__ import annotations

import sys
import time

asset, registry = sys.argv[1], sys.argv[2]
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
print(json.dumps([(imported - started) * 1000, (served - before) * 1000]))
