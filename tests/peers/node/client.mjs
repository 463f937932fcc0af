// Calls all 11 RPCs of RunnerManagementService with connect-node and checks
// the results, including the expected errors (not_found, already_exists).
//
//   node client.mjs --base http://127.0.0.1:PORT --token TOKEN [--http1] [--binary] [--get]
//
// Prints one JSON line per check: {"rpc", "ok", "code", "detail"}, where `ok`
// is whether the result matched the expectation and `code` is the Connect
// code received ("ok" on success), then a summary line. Exits 1 when a check
// fails, 2 on bad arguments.
//
// The runner is created in zone US-EAST-04A on the cluster named cks-east-04a:
// server.mjs, server.py and the project's emulator configuration all know
// that cluster. The names carry a random suffix, so runs against a server
// with state left from an earlier run do not collide.

import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { RunnerManagementService } from "./gen/coreweave/sandbox/v1beta2/runner_management_service_pb.js";
import { RunnerInstallStatus } from "./gen/coreweave/sandbox/v1beta2/runner_pb.js";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { codeName } from "./errors.mjs";

const ZONE = "US-EAST-04A";
const CLUSTER_NAME = "cks-east-04a";
const TEARDOWN_POLL_MS = 200;

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    token: { type: "string" },
    http1: { type: "boolean", default: false },
    binary: { type: "boolean", default: false },
    get: { type: "boolean", default: false },
    "teardown-seconds": { type: "string", default: "30" },
  },
});
if (args.base === undefined || args.token === undefined) {
  console.error(
    "usage: node client.mjs --base http://127.0.0.1:PORT --token TOKEN [--http1] [--binary] [--get] [--teardown-seconds S]",
  );
  process.exit(2);
}

const transport = createConnectTransport({
  baseUrl: args.base,
  httpVersion: args.http1 ? "1.1" : "2",
  useBinaryFormat: args.binary,
  useHttpGet: args.get,
  interceptors: [
    (next) => (req) => {
      req.header.set("Authorization", `Bearer ${args.token}`);
      return next(req);
    },
  ],
});
const client = createClient(RunnerManagementService, transport);

const results = [];
const rpcsCalled = new Set();

function report(rpc, ok, code, detail) {
  rpcsCalled.add(rpc);
  results.push(ok);
  console.log(JSON.stringify({ rpc, ok, code, detail }));
}

/**
 * Calls `fn` and reports whether the outcome has the expected code. Returns
 * the response on success, undefined on error.
 */
async function check(rpc, name, expected, fn, describe = () => ({})) {
  try {
    const response = await fn();
    const extra = describe(response);
    const problem = extra.problem;
    delete extra.problem;
    const ok = expected === "ok" && problem === undefined;
    report(rpc, ok, "ok", { case: name, expected, ...(problem ? { problem } : {}), ...extra });
    return response;
  } catch (err) {
    const error = ConnectError.from(err);
    const code = codeName(error.code);
    const infos = error.findDetails(ErrorInfoSchema);
    const detail = { case: name, expected, message: error.rawMessage };
    if (infos.length > 0) {
      detail.reason = infos[0].reason;
      detail.domain = infos[0].domain;
    }
    report(rpc, code === expected, code, detail);
    return undefined;
  }
}

/** Checks an expected error and the ErrorInfo reason that comes with it. */
async function checkError(rpc, name, expected, reason, fn) {
  try {
    await fn();
    report(rpc, false, "ok", { case: name, expected, reason });
  } catch (err) {
    const error = ConnectError.from(err);
    const code = codeName(error.code);
    const infos = error.findDetails(ErrorInfoSchema);
    const gotReason = infos[0]?.reason ?? "";
    const ok = code === expected && gotReason === reason && infos[0]?.domain === "cwsandbox.com";
    report(rpc, ok, code, { case: name, expected, reason: gotReason, message: error.rawMessage });
  }
}

function sameOrProblem(label, got, want) {
  return got === want
    ? {}
    : { problem: `${label} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}` };
}

async function listAll(fetchPage, itemsOf) {
  const items = [];
  let pageToken = "";
  for (let pages = 0; pages < 1000; pages++) {
    const response = await fetchPage(pageToken);
    items.push(...itemsOf(response));
    pageToken = response.nextPageToken;
    if (pageToken === "") {
      return { items, pages: pages + 1 };
    }
  }
  throw new Error("more than 1000 pages; the page token does not advance");
}

async function templateChecks(suffix) {
  const displayName = `peer-template-${suffix}`;
  const input = {
    displayName,
    description: "created by the connect-node interop client",
    spec: {
      containerImage: "registry.example.com/ml/train:2.4",
      runtimeClass: "kata-qemu",
      resourceDefaults: {
        cpuRequest: "500m",
        memoryRequest: "1Gi",
        cpuLimit: "2",
        memoryLimit: "4Gi",
      },
      namespaceConfigJson: '{"strategy":"per-user","namespacePrefix":"sbx-"}',
    },
    labels: { origin: "peer-client" },
  };

  const created = await check(
    "CreateProfileTemplate",
    "create",
    "ok",
    () => client.createProfileTemplate({ profileTemplate: input }),
    (t) => ({
      id: t.id,
      ...(t.id && t.createdAt
        ? sameOrProblem("displayName", t.displayName, displayName)
        : { problem: "id or createdAt is missing" }),
    }),
  );

  await checkError(
    "CreateProfileTemplate",
    "duplicate display name",
    "already_exists",
    "CWSANDBOX_PROFILE_ALREADY_EXISTS",
    () => client.createProfileTemplate({ profileTemplate: input }),
  );

  await checkError(
    "GetProfileTemplate",
    "unknown id",
    "not_found",
    "CWSANDBOX_PROFILE_NOT_FOUND",
    () => client.getProfileTemplate({ id: randomUUID() }),
  );

  if (created === undefined) {
    return undefined;
  }

  await check(
    "GetProfileTemplate",
    "get by id",
    "ok",
    () => client.getProfileTemplate({ id: created.id }),
    (t) => ({ id: t.id, ...sameOrProblem("spec.runtimeClass", t.spec?.runtimeClass, "kata-qemu") }),
  );

  await check(
    "ListProfileTemplates",
    "list with page size 2",
    "ok",
    () =>
      listAll(
        (pageToken) => client.listProfileTemplates({ pageSize: 2, pageToken }),
        (r) => r.profileTemplates,
      ),
    ({ items, pages }) => ({
      items: items.length,
      pages,
      ...(items.some((t) => t.id === created.id)
        ? {}
        : { problem: `template ${created.id} is missing from the list` }),
    }),
  );

  await check(
    "UpdateProfileTemplate",
    "update description with a mask",
    "ok",
    () =>
      client.updateProfileTemplate({
        profileTemplate: { id: created.id, description: "updated by the interop client" },
        updateMask: { paths: ["description"] },
      }),
    (t) => ({
      ...sameOrProblem("description", t.description, "updated by the interop client"),
      ...(t.spec?.containerImage === input.spec.containerImage
        ? {}
        : { problem: "spec changed though the mask names only description" }),
    }),
  );

  return created;
}

async function runnerChecks(suffix, template) {
  const runnerId = `peer-runner-${suffix}`;
  const input = {
    runnerId,
    runner: {
      displayName: "Interop peer runner",
      identity: { runnerId, zone: ZONE, clusterName: CLUSTER_NAME },
      profileBindings: [
        { profileTemplateId: template.id, profileName: "default", isDefault: true },
      ],
    },
  };

  const created = await check(
    "CreateManagedRunner",
    "create",
    "ok",
    () => client.createManagedRunner(input),
    (r) => ({
      id: r.id,
      installStatus: RunnerInstallStatus[r.installStatus],
      ...(r.id && r.identity?.clusterId ? {} : { problem: "id or identity.clusterId is missing" }),
    }),
  );

  await checkError(
    "CreateManagedRunner",
    "duplicate runner id",
    "already_exists",
    "CWSANDBOX_RUNNER_ALREADY_EXISTS",
    () => client.createManagedRunner(input),
  );

  await checkError("GetRunner", "unknown id", "not_found", "CWSANDBOX_RUNNER_NOT_FOUND", () =>
    client.getRunner({ id: randomUUID() }),
  );

  if (created === undefined) {
    return;
  }

  await check(
    "GetRunner",
    "get by uuid",
    "ok",
    () => client.getRunner({ id: created.id }),
    (r) => sameOrProblem("identity.runnerId", r.identity?.runnerId, runnerId),
  );

  const current = await check(
    "GetRunner",
    "get by runner id",
    "ok",
    () => client.getRunner({ id: runnerId }),
    (r) => ({ updateAvailable: r.updateAvailable, ...sameOrProblem("id", r.id, created.id) }),
  );

  await check(
    "ListManagedRunners",
    "list with page size 2",
    "ok",
    () =>
      listAll(
        (pageToken) => client.listManagedRunners({ pageSize: 2, pageToken }),
        (r) => r.runners,
      ),
    ({ items, pages }) => ({
      items: items.length,
      pages,
      ...(items.some((r) => r.id === created.id)
        ? {}
        : { problem: `runner ${created.id} is missing from the list` }),
    }),
  );

  await check(
    "UpdateManagedRunner",
    "update display name with a mask",
    "ok",
    () =>
      client.updateManagedRunner({
        runner: { id: created.id, displayName: "Renamed interop peer runner" },
        updateMask: { paths: ["display_name"] },
      }),
    (r) => ({
      targetRevision: r.targetRevision,
      ...sameOrProblem("displayName", r.displayName, "Renamed interop peer runner"),
    }),
  );

  // Apply succeeds only when the release channel has a newer version.
  const applyExpected = current?.updateAvailable ? "ok" : "failed_precondition";
  await check(
    "ApplyManagedRunnerUpdate",
    `apply with updateAvailable ${current?.updateAvailable}`,
    applyExpected,
    () => client.applyManagedRunnerUpdate({ id: runnerId }),
    (r) => ({ updateAvailable: r.updateAvailable, activeConfigVersion: r.activeConfigVersion }),
  );

  await check("DeleteManagedRunner", "delete by runner id", "ok", () =>
    client.deleteManagedRunner({ id: runnerId }),
  );

  await waitForTeardown(runnerId);
}

/** Polls GetRunner until it is not_found: teardown may take a while. */
async function waitForTeardown(runnerId) {
  const deadline = Date.now() + Number(args["teardown-seconds"]) * 1000;
  let status = "";
  while (Date.now() < deadline) {
    try {
      const runner = await client.getRunner({ id: runnerId });
      status = RunnerInstallStatus[runner.installStatus];
    } catch (err) {
      const error = ConnectError.from(err);
      report("GetRunner", error.code === Code.NotFound, codeName(error.code), {
        case: "get after delete",
        expected: "not_found",
        lastStatus: status,
      });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, TEARDOWN_POLL_MS));
  }
  report("GetRunner", false, "ok", {
    case: "get after delete",
    expected: "not_found",
    problem: `runner still present after ${args["teardown-seconds"]} s with status ${status}`,
  });
}

async function main() {
  const suffix = randomBytes(4).toString("hex");
  const template = await templateChecks(suffix);
  if (template !== undefined) {
    await runnerChecks(suffix, template);
    await check("DeleteProfileTemplate", "delete", "ok", () =>
      client.deleteProfileTemplate({ id: template.id }),
    );
    await checkError(
      "DeleteProfileTemplate",
      "delete again",
      "not_found",
      "CWSANDBOX_PROFILE_NOT_FOUND",
      () => client.deleteProfileTemplate({ id: template.id }),
    );
  }

  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  const rpcs = [...rpcsCalled].sort();
  console.log(
    JSON.stringify({
      summary: true,
      ok: failed === 0 && rpcs.length === 11,
      passed,
      failed,
      rpcs_called: rpcs.length,
    }),
  );
  process.exit(failed === 0 && rpcs.length === 11 ? 0 : 1);
}

await main();
