"""What the shared rate limit (relay/shared_ratelimit.py) costs the relay, measured on this machine.

    .venv/bin/python bench/shared_ratelimit_bench.py [--runs 9] [--calls 2000]

A stand-in on 127.0.0.1 (its own process) answers DynamoDB's UpdateItem with `{}` and a
webhook POST with `ok`, so nothing leaves the machine and the figures are the relay's own
work: botocore building, signing and parsing the request, plus a loopback round trip. A
real UpdateItem adds the network and DynamoDB's time on top, which AWS documents as
single-digit milliseconds on average within a region.

- cold: a fresh interpreter imports the relay and serves one message of a rate-limited
  team, without the table (the in-instance limit) and with it (boto3 imported, a client
  created, one UpdateItem);
- warm: one admit() per message with a client already made, wall and CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STANDIN = """
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        dynamodb = "X-Amz-Target" in self.headers
        body = b"{}" if dynamodb else b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0" if dynamodb else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""

COLD_PROBE = """
import json, os, sys, time
started = time.perf_counter()
from shared_gateway.relay import handler
imported = time.perf_counter()
event = {
    "body": json.dumps({"channel": "search-reports", "text": "weekly report ready"}),
    "requestContext": {"requestId": "r", "identity": {"userArn": os.environ["PROBE_CALLER"]}},
}
sys.stdout = open(os.devnull, "w")
before = time.perf_counter()
response = handler.handler(event, None)
served = time.perf_counter()
sys.stdout = sys.__stdout__
assert response["statusCode"] == 200, response
assert ("boto3" in sys.modules) == bool(os.environ.get("SLACKGATE_RATE_TABLE"))
print(json.dumps([(imported - started) * 1000, (served - before) * 1000]))
"""

PARTS_PROBE = """
import json, time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
boto3.client("secretsmanager")
t2 = time.perf_counter()
from shared_gateway.relay.shared_ratelimit import dynamodb_client
client = dynamodb_client()
t3 = time.perf_counter()
client.update_item(TableName="bench-rate", Key={"pk": {"S": "search#0"}})
t4 = time.perf_counter()
print(json.dumps([(b - a) * 1000 for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))]))
"""

CALLER = "arn:aws:sts::123456789012:assumed-role/slackgate-search-weekly/fn"


def _environment(port: int, registry: Path, table: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACKGATE_"))}
    env.update(
        SLACKGATE_CONFIG=str(registry),
        PROBE_CALLER=CALLER,
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{port}",
    )
    if table:
        env["SLACKGATE_RATE_TABLE"] = "bench-rate"
    return env


def cold(port: int, registry: Path, runs: int) -> None:
    print(f"cold start, fresh interpreter, median of {runs}:")
    for label, table in (("in-instance limit only", False), ("shared limit (table set)", True)):
        imports, firsts = [], []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-s", "-c", COLD_PROBE],
                env=_environment(port, registry, table),
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            imported, first = json.loads(out.stdout)
            imports.append(imported)
            firsts.append(first)
        print(
            f"  {label:<26} import {statistics.median(imports):6.1f} ms"
            f" + first message {statistics.median(firsts):6.1f} ms"
        )


def parts(port: int, registry: Path, runs: int) -> None:
    print(f"the parts of the first shared-limit message, fresh interpreter, median of {runs}:")
    results = [
        json.loads(
            subprocess.run(
                [sys.executable, "-s", "-c", PARTS_PROBE],
                env=_environment(port, registry, True),
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(runs)
    ]
    labels = (
        "import boto3 (the deployed relay does it anyway, for its webhook secrets)",
        "a Secrets Manager client (for comparison)",
        "the DynamoDB client",
        "the first UpdateItem (loopback)",
    )
    for label, values in zip(labels, zip(*results, strict=True), strict=True):
        print(f"  {statistics.median(values):6.1f} ms  {label}")


def warm(port: int, calls: int) -> None:
    os.environ.update(_environment(port, Path("unused"), True))
    sys.path.insert(0, str(ROOT))
    from shared_gateway.relay.ratelimit import RateLimiter
    from shared_gateway.relay.shared_ratelimit import SharedRateLimiter

    local = RateLimiter()
    shared = SharedRateLimiter("bench-rate")
    limit = calls * 10  # never refused: every call is one UpdateItem
    shared.admit("search", limit)  # creates the client
    for name, limiter in (("in-instance admit()", local), ("shared admit()", shared)):
        walls, cpus = [], []
        for _ in range(calls):
            wall, cpu = time.perf_counter(), time.process_time()
            assert limiter.admit("search", limit) is None
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        print(
            f"  {name:<22} wall median {statistics.median(walls) * 1000:6.3f} ms,"
            f" p99 {sorted(walls)[int(calls * 0.99)] * 1000:6.3f} ms;"
            f" CPU mean {statistics.fmean(cpus) * 1000:6.3f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    standin = subprocess.Popen([sys.executable, "-c", STANDIN], stdout=subprocess.PIPE, text=True)
    try:
        assert standin.stdout is not None
        port = int(standin.stdout.readline())
        with tempfile.TemporaryDirectory() as work:
            registry = Path(work) / "registry.toml"
            registry.write_text(
                '[teams.search]\nchannels = ["search-reports"]\nrate_limit_per_minute = 600\n'
                f'[channels.search-reports]\nurl = "http://127.0.0.1:{port}/hook"\n'
            )
            print(f"shared rate limit — Python {sys.version.split()[0]}, {os.cpu_count()} cores")
            cold(port, registry, args.runs)
            parts(port, registry, args.runs)
        print(f"per message, warm, {args.calls} calls, loopback stand-in for DynamoDB:")
        warm(port, args.calls)
    finally:
        standin.terminate()
        standin.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
