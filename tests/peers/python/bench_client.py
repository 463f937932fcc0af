"""Closed-loop load of one unary RPC over HTTP/2 cleartext with connect-python.

    python bench_client.py --base URL --rpc get|list --concurrency C --seconds S [--binary] [--token T]

`get` calls GetProfileTemplate for 00000000-0000-4000-8000-000000000000 (the
template seed-00000 of a server started with PEER_SEED_TEMPLATES >= 1);
`list` calls ListProfileTemplates with page_size 100. C asyncio tasks each
send the next call as soon as the previous one returns, for S seconds, over
one client. Prints one JSON line: {calls, errors, seconds, calls_per_sec,
p50_ms, p99_ms, peak_rss_bytes}, where calls counts successful calls only.
Exits 1 when any call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))

from connectrpc.errors import ConnectError  # noqa: E402
from pyqwest import Client, HTTPTransport, HTTPVersion  # noqa: E402

from coreweave.sandbox.v1beta2 import runner_management_service_pb2 as service_pb2  # noqa: E402
from coreweave.sandbox.v1beta2.runner_management_service_connect import (  # noqa: E402
    RunnerManagementServiceClient,
)

SEED_TEMPLATE_ID = "00000000-0000-4000-8000-000000000000"
LIST_PAGE_SIZE = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Closed-loop load of one unary RPC.")
    parser.add_argument(
        "--base", required=True, help="server URL, for example http://127.0.0.1:8080"
    )
    parser.add_argument("--rpc", required=True, choices=["get", "list"])
    parser.add_argument("--concurrency", type=int, default=1, help="number of concurrent workers")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="duration of the run in seconds"
    )
    parser.add_argument("--binary", action="store_true", help="use the binary codec, not JSON")
    parser.add_argument("--token", help="bearer token sent in the Authorization header")
    args = parser.parse_args()
    if args.concurrency < 1:
        parser.error(f"invalid --concurrency {args.concurrency}: use a positive integer")
    if not args.seconds > 0:
        parser.error(f"invalid --seconds {args.seconds}: use a positive number")
    return args


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[max(0, index)]


async def run(args: argparse.Namespace) -> dict:
    # HTTP/2 on a plaintext URL means prior knowledge; proxies from the
    # environment must not apply to a loopback benchmark.
    transport = HTTPTransport(http_version=HTTPVersion.HTTP2, enable_otel=False, proxy=[])
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    client = RunnerManagementServiceClient(
        args.base,
        proto_json=not args.binary,
        send_compression=None,
        http_client=Client(transport),
    )
    if args.rpc == "get":
        request = service_pb2.GetProfileTemplateRequest(id=SEED_TEMPLATE_ID)
        call = lambda: client.get_profile_template(request, headers=headers)  # noqa: E731
    else:
        request = service_pb2.ListProfileTemplatesRequest(page_size=LIST_PAGE_SIZE)
        call = lambda: client.list_profile_templates(request, headers=headers)  # noqa: E731

    latencies_ms: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + args.seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                await call()
            except ConnectError as err:
                errors.append(f"{err.code.value}: {err.message}")
                continue
            latencies_ms.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    await client.close()

    latencies_ms.sort()
    if errors:
        print(f"{len(errors)} calls failed; first error: {errors[0]}", file=sys.stderr)
    return {
        "calls": len(latencies_ms),
        "errors": len(errors),
        "seconds": round(elapsed, 3),
        "calls_per_sec": round(len(latencies_ms) / elapsed, 3),
        "p50_ms": round(percentile(latencies_ms, 50), 3),
        "p99_ms": round(percentile(latencies_ms, 99), 3),
        # ru_maxrss is in kibibytes on Linux.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    result = asyncio.run(run(parse_args()))
    print(json.dumps(result), flush=True)
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
