"""A stand-in for the AWS APIs a team function reads (S3, DynamoDB, Parameter Store, ...).

moto's server on 127.0.0.1, for `make demo`: the team's handler reads "its" bucket here
instead of a real account. Like the other local servers it prints its URL on the first line
of stdout once it listens (`shared_gateway.local.processes.start_server` waits for it) and
stops by itself after --max-seconds, or on SIGTERM/SIGINT.

    python scripts/aws_standin.py --port 0 --max-seconds 120
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args(argv)

    from moto.server import ThreadedMotoServer  # heavy: imported only when serving

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"AWS stand-in listening on http://{host}:{port}", flush=True)

    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    done.wait(args.max_seconds)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
