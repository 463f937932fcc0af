// Closed-loop load of one unary RPC over HTTP/2 cleartext with connect-node.
//
//   node bench-client.mjs --base URL --rpc get|list --concurrency C --seconds S [--binary] [--token T]
//
// `get` calls GetProfileTemplate for 00000000-0000-4000-8000-000000000000 (the
// template seed-00000 of a server started with PEER_SEED_TEMPLATES >= 1);
// `list` calls ListProfileTemplates with pageSize 100. C workers each send
// the next call as soon as the previous one returns, for S seconds. Prints
// one JSON line: {calls, errors, seconds, calls_per_sec, p50_ms, p99_ms,
// peak_rss_bytes}, where calls counts successful calls only. Exits 1 when
// any call failed, 2 on bad arguments.

import { parseArgs } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { RunnerManagementService } from "./gen/coreweave/sandbox/v1beta2/runner_management_service_pb.js";

const SEED_TEMPLATE_ID = "00000000-0000-4000-8000-000000000000";
const LIST_PAGE_SIZE = 100;

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    rpc: { type: "string" },
    concurrency: { type: "string", default: "1" },
    seconds: { type: "string", default: "10" },
    binary: { type: "boolean", default: false },
    token: { type: "string" },
  },
});

function usage(problem) {
  console.error(problem);
  console.error(
    "usage: node bench-client.mjs --base URL --rpc get|list --concurrency C --seconds S [--binary] [--token T]",
  );
  process.exit(2);
}

const concurrency = Number(args.concurrency);
const seconds = Number(args.seconds);
if (args.base === undefined) usage("--base is required");
if (args.rpc !== "get" && args.rpc !== "list")
  usage(`invalid --rpc "${args.rpc}": use get or list`);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  usage(`invalid --concurrency "${args.concurrency}": use a positive integer`);
}
if (!(seconds > 0)) usage(`invalid --seconds "${args.seconds}": use a positive number`);

const interceptors = [];
if (args.token !== undefined) {
  interceptors.push((next) => (req) => {
    req.header.set("Authorization", `Bearer ${args.token}`);
    return next(req);
  });
}
const transport = createConnectTransport({
  baseUrl: args.base,
  httpVersion: "2",
  useBinaryFormat: args.binary,
  interceptors,
});
const client = createClient(RunnerManagementService, transport);

const call =
  args.rpc === "get"
    ? () => client.getProfileTemplate({ id: SEED_TEMPLATE_ID })
    : () => client.listProfileTemplates({ pageSize: LIST_PAGE_SIZE });

const latenciesMs = [];
let errors = 0;
let firstError;

async function worker(deadline) {
  while (performance.now() < deadline) {
    const start = performance.now();
    try {
      await call();
      latenciesMs.push(performance.now() - start);
    } catch (err) {
      errors += 1;
      firstError ??= ConnectError.from(err).message;
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) {
    return 0;
  }
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(Array.from({ length: concurrency }, () => worker(deadline)));
const elapsed = (performance.now() - started) / 1000;

const sorted = Float64Array.from(latenciesMs).sort();
const round3 = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    calls: latenciesMs.length,
    errors,
    seconds: round3(elapsed),
    calls_per_sec: round3(latenciesMs.length / elapsed),
    p50_ms: round3(percentile(sorted, 50)),
    p99_ms: round3(percentile(sorted, 99)),
    // resourceUsage().maxRSS is in kibibytes.
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  }),
);
if (errors > 0) {
  console.error(`${errors} calls failed; first error: ${firstError}`);
  process.exit(1);
}
process.exit(0);
