// In-memory RunnerManagementService over connect-node.
//
//   node server.mjs [--http1] [--port N]
//
// Listens on 127.0.0.1 (port 0 picks a free port), HTTP/2 cleartext with
// prior knowledge by default or HTTP/1.1 with --http1, and prints one line
// "listening 127.0.0.1:PORT" to stdout once ready. Logs go to stderr.
// PEER_SEED_TEMPLATES=N creates N templates at start (see seed.mjs).

import http from "node:http";
import http2 from "node:http2";
import { parseArgs } from "node:util";
import { ConnectError } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { RunnerManagementService } from "./gen/coreweave/sandbox/v1beta2/runner_management_service_pb.js";
import { Store, createService } from "./service.mjs";
import { seedTemplates } from "./seed.mjs";

const { values: args } = parseArgs({
  options: {
    http1: { type: "boolean", default: false },
    port: { type: "string", default: "0" },
  },
});

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port "${args.port}": use an integer from 0 to 65535`);
  process.exit(2);
}
const seedCount = Number(process.env.PEER_SEED_TEMPLATES ?? "0");
if (!Number.isInteger(seedCount) || seedCount < 0) {
  console.error(
    `invalid PEER_SEED_TEMPLATES "${process.env.PEER_SEED_TEMPLATES}": use a non-negative integer`,
  );
  process.exit(2);
}

const store = new Store();
seedTemplates(store, seedCount);

// Errors the service raises on purpose are ConnectErrors; log anything else,
// which connect-node turns into an "internal" error for the caller.
function logUnexpectedErrors(next) {
  return async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (!(err instanceof ConnectError)) {
        console.error(`${req.method.name} failed: ${err?.stack ?? err}`);
      }
      throw err;
    }
  };
}

const handler = connectNodeAdapter({
  routes: (router) => router.service(RunnerManagementService, createService(store)),
  acceptCompression: [compressionGzip, compressionBrotli],
  jsonOptions: { ignoreUnknownFields: false },
  interceptors: [logUnexpectedErrors],
});

const server = args.http1 ? http.createServer(handler) : http2.createServer(handler);
server.on("error", (err) => {
  console.error(`server error: ${err.message}`);
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => {
  const { address, port: bound } = server.address();
  const protocol = args.http1 ? "HTTP/1.1" : "HTTP/2 cleartext";
  console.error(`serving ${protocol} with ${seedCount} seed templates`);
  process.stdout.write(`listening ${address}:${bound}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.error(`received ${signal}, stopping`);
    process.exit(0);
  });
}
