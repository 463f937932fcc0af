"""Serves server:app with Hypercorn on 127.0.0.1.

    python run_server.py [--port N]

Port 0 (the default) picks a free port. Hypercorn serves HTTP/1.1 and HTTP/2
cleartext with prior knowledge on the same port. Prints one line
"listening 127.0.0.1:PORT" to stdout once the socket accepts connections;
logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config

from server import app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error(f"invalid --port {args.port}: use an integer from 0 to 65535")

    # Bind here rather than in Hypercorn, to learn the port that 0 picked.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    sock.set_inheritable(True)
    host, port = sock.getsockname()

    config = Config()
    config.bind = [f"fd://{sock.fileno()}"]
    config.errorlog = "-"  # Hypercorn logs to stderr
    config.accesslog = None
    # Hypercorn closes a connection after 1000 requests by default, which
    # breaks long HTTP/2 benchmark runs on one connection.
    config.keep_alive_max_requests = 2**31

    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"serving HTTP/1.1 and HTTP/2 cleartext on {host}:{port}", file=sys.stderr)
        print(f"listening {host}:{port}", flush=True)
        await serve(app, config, shutdown_trigger=stop.wait)
        print("stopped", file=sys.stderr)

    asyncio.run(run())


if __name__ == "__main__":
    main()
