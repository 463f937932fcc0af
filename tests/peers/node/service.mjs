// An in-memory RunnerManagementService for one organization. It follows the
// API contract at a basic level: ids, timestamps, duplicate and not-found
// errors with ErrorInfo, pagination, update masks and a few validation rules.
// Runner installs finish at once: Create returns PENDING, later reads see READY.

import { randomUUID } from "node:crypto";
import { clone, create, isFieldSet } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { ProfileTemplateSchema } from "./gen/coreweave/sandbox/v1beta2/profile_template_pb.js";
import {
  ManagedRunnerSpecSchema,
  ManagementMode,
  RunnerConnectionStatus,
  RunnerDeploymentSpecSchema,
  RunnerInstallStatus,
  RunnerSchema,
} from "./gen/coreweave/sandbox/v1beta2/runner_pb.js";
import { forcedError, invalidArgument, withErrorInfo } from "./errors.mjs";

export const ORGANIZATION_ID = "org-peer";

/** The clusters this server accepts. A runner must name one of them. */
export const CLUSTERS = [
  { id: "3f1c9a52-5a7e-4d0b-9c1e-04a000000001", name: "cks-east-04a", zone: "US-EAST-04A" },
  { id: "3f1c9a52-5a7e-4d0b-9c1e-01a000000002", name: "cks-west-01a", zone: "US-WEST-01A" },
];

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RUNNER_VERSION = "1.0.0";
const NEWER_RUNNER_VERSION = "1.1.0";

const TEMPLATE_OUTPUT_ONLY = ["id", "organizationId", "createdAt", "updatedAt"];
const RUNNER_OUTPUT_ONLY = [
  "id",
  "managementMode",
  "installStatus",
  "installError",
  "connectionStatus",
  "activeConfigVersion",
  "activeProfileSpecVersion",
  "activeRevision",
  "targetRevision",
  "updateAvailable",
  "rolloutInProgress",
  "deploymentSpec",
  "createdAt",
  "updatedAt",
  "lastHeartbeatAt",
  "organizationId",
];

/**
 * Stored resources are replaced, never changed in place, so a handler may
 * return a stored message without copying it.
 */
export class Store {
  constructor() {
    this.templates = new Map(); // id -> { seq, msg }
    this.runners = new Map(); // id -> { seq, msg }
    this.runnerIdIndex = new Map(); // runnerId -> id
    this.nextSeq = 1;
  }

  addTemplate(msg) {
    this.templates.set(msg.id, { seq: this.nextSeq++, msg });
  }

  templateByDisplayName(displayName) {
    for (const { msg } of this.templates.values()) {
      if (msg.displayName === displayName) {
        return msg;
      }
    }
    return undefined;
  }

  runnerByIdOrRunnerId(id) {
    const entry = this.runners.get(id) ?? this.runners.get(this.runnerIdIndex.get(id));
    return entry?.msg;
  }

  runnerOnCluster(clusterId) {
    for (const { msg } of this.runners.values()) {
      if (msg.identity?.clusterId === clusterId) {
        return msg;
      }
    }
    return undefined;
  }

  runnersBinding(templateId) {
    return [...this.runners.values()]
      .map(({ msg }) => msg)
      .filter((runner) => runner.profileBindings.some((b) => b.profileTemplateId === templateId));
  }
}

/** Returns the service implementation for connect-node's router. */
export function createService(store) {
  return {
    createProfileTemplate: (req) => createProfileTemplate(store, req),
    getProfileTemplate: (req) => getProfileTemplate(store, req),
    listProfileTemplates: (req) => {
      const { items, nextPageToken } = page(store.templates, req, "templates");
      return { profileTemplates: items, nextPageToken };
    },
    updateProfileTemplate: (req) => updateProfileTemplate(store, req),
    deleteProfileTemplate: (req) => deleteProfileTemplate(store, req),
    createManagedRunner: (req) => createManagedRunner(store, req),
    getRunner: (req) => findRunner(store, req.id),
    listManagedRunners: (req) => {
      const { items, nextPageToken } = page(store.runners, req, "runners");
      return { runners: items, nextPageToken };
    },
    updateManagedRunner: (req) => updateManagedRunner(store, req),
    deleteManagedRunner: (req) => deleteManagedRunner(store, req),
    applyManagedRunnerUpdate: (req) => applyManagedRunnerUpdate(store, req),
  };
}

// ---- profile templates ----

function createProfileTemplate(store, req) {
  const input = req.profileTemplate;
  if (input === undefined) {
    throw invalidArgument("profile_template", "is required");
  }
  rejectOutputOnly(input, ProfileTemplateSchema, TEMPLATE_OUTPUT_ONLY, "profile_template");
  validateName(input.displayName, "profile_template.display_name");
  if (input.spec === undefined) {
    throw invalidArgument("profile_template.spec", "is required; send {} for an empty spec");
  }
  validateSpec(input.spec, "profile_template.spec");
  if (store.templateByDisplayName(input.displayName) !== undefined) {
    throw withErrorInfo(
      Code.AlreadyExists,
      `profile template "${input.displayName}" already exists`,
      "CWSANDBOX_PROFILE_ALREADY_EXISTS",
      { display_name: input.displayName },
    );
  }
  const now = timestampNow();
  const template = clone(ProfileTemplateSchema, input);
  template.id = randomUUID();
  template.organizationId = ORGANIZATION_ID;
  template.createdAt = now;
  template.updatedAt = now;
  store.addTemplate(template);
  return template;
}

function getProfileTemplate(store, req) {
  if (req.id.startsWith("fail-")) {
    const forced = forcedError(req.id.slice("fail-".length));
    if (forced !== undefined) {
      throw forced;
    }
  }
  return findTemplate(store, req.id);
}

function findTemplate(store, id) {
  if (id === "") {
    throw invalidArgument("id", "is required");
  }
  const entry = store.templates.get(id);
  if (entry === undefined) {
    throw withErrorInfo(
      Code.NotFound,
      `profile template "${id}" not found`,
      "CWSANDBOX_PROFILE_NOT_FOUND",
      { id },
    );
  }
  return entry.msg;
}

const TEMPLATE_PATHS = {
  description: (dst, src) => {
    dst.description = src.description;
  },
  spec: (dst, src) => {
    if (src.spec !== undefined) {
      validateSpec(src.spec, "profile_template.spec");
    }
    dst.spec = src.spec;
  },
  labels: (dst, src) => {
    dst.labels = { ...src.labels };
  },
};

function updateProfileTemplate(store, req) {
  const input = req.profileTemplate;
  if (input === undefined) {
    throw invalidArgument("profile_template", "is required");
  }
  const current = findTemplate(store, input.id);
  const updated = clone(ProfileTemplateSchema, current);
  let paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) {
    if (input.displayName !== "" && input.displayName !== current.displayName) {
      throw invalidArgument("profile_template.display_name", "is immutable");
    }
    paths = [];
    if (input.description !== "") paths.push("description");
    if (input.spec !== undefined) paths.push("spec");
    if (Object.keys(input.labels).length > 0) paths.push("labels");
  }
  for (const path of paths) {
    const apply = TEMPLATE_PATHS[path];
    if (apply === undefined) {
      throw invalidArgument(
        "update_mask",
        `path "${path}" is unknown or immutable; mutable paths: ${Object.keys(TEMPLATE_PATHS).join(", ")}`,
      );
    }
    apply(updated, input);
  }
  updated.updatedAt = timestampNow();
  store.templates.get(current.id).msg = updated;
  return updated;
}

function deleteProfileTemplate(store, req) {
  const template = findTemplate(store, req.id);
  const binders = store.runnersBinding(template.id);
  if (binders.length > 0) {
    const runnerIds = binders.map((r) => r.identity?.runnerId ?? r.id).join(",");
    throw withErrorInfo(
      Code.FailedPrecondition,
      `profile template "${template.id}" is bound by runners ${runnerIds}; remove the bindings first`,
      "CWSANDBOX_PROFILE_IN_USE",
      { id: template.id, runners: runnerIds },
    );
  }
  store.templates.delete(template.id);
  return {};
}

// ---- runners ----

function createManagedRunner(store, req) {
  const input = req.runner;
  if (input === undefined) {
    throw invalidArgument("runner", "is required");
  }
  rejectOutputOnly(input, RunnerSchema, RUNNER_OUTPUT_ONLY, "runner");
  const identity = input.identity;
  if (identity === undefined) {
    throw invalidArgument("runner.identity", "is required");
  }
  const runnerId = req.runnerId !== "" ? req.runnerId : identity.runnerId;
  validateName(runnerId, "runner_id");
  if (identity.runnerId !== "" && identity.runnerId !== runnerId) {
    throw invalidArgument(
      "runner.identity.runner_id",
      `"${identity.runnerId}" differs from runner_id "${runnerId}"; send the same value or leave it empty`,
    );
  }
  if (store.runnerIdIndex.has(runnerId)) {
    throw withErrorInfo(
      Code.AlreadyExists,
      `runner "${runnerId}" already exists`,
      "CWSANDBOX_RUNNER_ALREADY_EXISTS",
      { runner_id: runnerId },
    );
  }
  const cluster = resolveCluster(identity);
  const occupant = store.runnerOnCluster(cluster.id);
  if (occupant !== undefined) {
    throw withErrorInfo(
      Code.AlreadyExists,
      `cluster "${cluster.name}" already has runner "${occupant.identity.runnerId}"`,
      "CWSANDBOX_CLUSTER_HAS_RUNNER",
      { cluster_name: cluster.name, runner_id: occupant.identity.runnerId },
    );
  }
  validateBindings(store, input.profileBindings, input.managedSpec);

  const now = timestampNow();
  const runner = clone(RunnerSchema, input);
  runner.id = randomUUID();
  runner.identity.runnerId = runnerId;
  runner.identity.clusterId = cluster.id;
  runner.identity.clusterName = cluster.name;
  runner.managementMode = ManagementMode.MANAGED;
  runner.installStatus = RunnerInstallStatus.PENDING;
  runner.connectionStatus = RunnerConnectionStatus.DISCONNECTED;
  runner.targetRevision = 1;
  runner.rolloutInProgress = true;
  // A newer version is available after every install, so that
  // ApplyManagedRunnerUpdate has something to apply.
  runner.updateAvailable = true;
  runner.deploymentSpec = create(RunnerDeploymentSpecSchema, {
    image: `cwsandbox/runner:${RUNNER_VERSION}`,
    imagePullPolicy: "IfNotPresent",
  });
  runner.createdAt = now;
  runner.updatedAt = now;
  runner.organizationId = ORGANIZATION_ID;

  const installed = clone(RunnerSchema, runner);
  installed.installStatus = RunnerInstallStatus.READY;
  installed.connectionStatus = RunnerConnectionStatus.CONNECTED;
  installed.activeConfigVersion = RUNNER_VERSION;
  installed.activeRevision = installed.targetRevision;
  installed.rolloutInProgress = false;
  installed.lastHeartbeatAt = now;
  store.runners.set(runner.id, { seq: store.nextSeq++, msg: installed });
  store.runnerIdIndex.set(runnerId, runner.id);
  return runner;
}

function findRunner(store, id) {
  if (id === "") {
    throw invalidArgument("id", "is required");
  }
  const runner = store.runnerByIdOrRunnerId(id);
  if (runner === undefined) {
    throw withErrorInfo(Code.NotFound, `runner "${id}" not found`, "CWSANDBOX_RUNNER_NOT_FOUND", {
      id,
    });
  }
  return runner;
}

function resolveCluster(identity) {
  if (identity.zone === "") {
    throw invalidArgument("runner.identity.zone", "is required, for example US-EAST-04A");
  }
  if ((identity.clusterId === "") === (identity.clusterName === "")) {
    throw invalidArgument("runner.identity", "set exactly one of cluster_id and cluster_name");
  }
  const cluster = CLUSTERS.find(
    (c) => c.id === identity.clusterId || c.name === identity.clusterName,
  );
  if (cluster === undefined) {
    const name = identity.clusterId || identity.clusterName;
    throw withErrorInfo(
      Code.NotFound,
      `cluster "${name}" not found`,
      "CWSANDBOX_CLUSTER_NOT_FOUND",
      {
        cluster: name,
      },
    );
  }
  if (cluster.zone.toLowerCase() !== identity.zone.toLowerCase()) {
    throw invalidArgument(
      "runner.identity.zone",
      `cluster "${cluster.name}" is in zone ${cluster.zone}, not ${identity.zone}`,
    );
  }
  return cluster;
}

function validateBindings(store, bindings, managedSpec) {
  const field = "runner.profile_bindings";
  if (bindings.length === 0) {
    throw invalidArgument(field, "needs at least one binding");
  }
  const seen = new Set();
  bindings.forEach((binding, i) => {
    const idField = `${field}[${i}].profile_template_id`;
    if (binding.profileTemplateId === "") {
      throw invalidArgument(idField, "is required");
    }
    if (seen.has(binding.profileTemplateId)) {
      throw invalidArgument(idField, `template "${binding.profileTemplateId}" is bound twice`);
    }
    seen.add(binding.profileTemplateId);
    const template = store.templates.get(binding.profileTemplateId)?.msg;
    if (template === undefined) {
      throw invalidArgument(idField, `profile template "${binding.profileTemplateId}" not found`);
    }
    if (binding.overridesJson !== "") {
      validateJsonObject(binding.overridesJson, `${field}[${i}].overrides_json`);
    }
    const limits = template.spec?.resourceDefaults;
    if (managedSpec?.enforceResourceLimits && !(limits?.cpuLimit && limits?.memoryLimit)) {
      throw invalidArgument(
        idField,
        `template "${template.displayName}" sets no cpu_limit and memory_limit, which enforce_resource_limits requires`,
      );
    }
  });
  const defaults = bindings.filter((b) => b.isDefault).length;
  if (defaults !== 1) {
    throw invalidArgument(field, `needs exactly one binding with is_default, found ${defaults}`);
  }
}

function ensureManagedSpec(runner) {
  runner.managedSpec ??= create(ManagedRunnerSpecSchema);
  return runner.managedSpec;
}

const RUNNER_PATHS = {
  display_name: (dst, src) => {
    dst.displayName = src.displayName;
  },
  "identity.zone": (dst, src) => {
    const zone = src.identity?.zone ?? "";
    const cluster = CLUSTERS.find((c) => c.id === dst.identity.clusterId);
    if (zone.toLowerCase() !== cluster.zone.toLowerCase()) {
      throw invalidArgument(
        "runner.identity.zone",
        `cluster "${cluster.name}" is in zone ${cluster.zone}, not "${zone}"`,
      );
    }
    dst.identity.zone = zone;
  },
  "identity.runner_group_id": (dst, src) => {
    dst.identity.runnerGroupId = src.identity?.runnerGroupId ?? "";
  },
  // The parent path replaces the two booleans always and the other fields
  // only when the request sets them.
  managed_spec: (dst, src) => {
    if (src.managedSpec === undefined) {
      dst.managedSpec = undefined;
      return;
    }
    const spec = ensureManagedSpec(dst);
    const from = src.managedSpec;
    spec.allowPrivilegedProfileAnnotations = from.allowPrivilegedProfileAnnotations;
    spec.enforceResourceLimits = from.enforceResourceLimits;
    if (from.releaseChannel !== 0) spec.releaseChannel = from.releaseChannel;
    if (from.maintenancePolicy !== undefined) spec.maintenancePolicy = from.maintenancePolicy;
    if (from.overrides !== undefined) spec.overrides = from.overrides;
  },
  "managed_spec.release_channel": (dst, src) => {
    ensureManagedSpec(dst).releaseChannel = src.managedSpec?.releaseChannel ?? 0;
  },
  "managed_spec.maintenance_policy": (dst, src) => {
    ensureManagedSpec(dst).maintenancePolicy = src.managedSpec?.maintenancePolicy;
  },
  "managed_spec.overrides": (dst, src) => {
    ensureManagedSpec(dst).overrides = src.managedSpec?.overrides;
  },
  profile_bindings: (dst, src) => {
    dst.profileBindings = src.profileBindings;
  },
};

function defaultRunnerPaths(input) {
  const paths = [];
  if (input.displayName !== "") paths.push("display_name");
  if (input.identity?.zone) paths.push("identity.zone");
  if (input.identity?.runnerGroupId) paths.push("identity.runner_group_id");
  if (input.managedSpec !== undefined) paths.push("managed_spec");
  if (input.profileBindings.length > 0) paths.push("profile_bindings");
  return paths;
}

function updateManagedRunner(store, req) {
  const input = req.runner;
  if (input === undefined) {
    throw invalidArgument("runner", "is required");
  }
  const current = findRunner(store, input.id);
  const updated = clone(RunnerSchema, current);
  let paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) {
    paths = defaultRunnerPaths(input);
  }
  for (const path of paths) {
    const apply = RUNNER_PATHS[path];
    if (apply === undefined) {
      throw invalidArgument(
        "update_mask",
        `path "${path}" is unknown or immutable; mutable paths: ${Object.keys(RUNNER_PATHS).join(", ")}`,
      );
    }
    apply(updated, input);
  }
  validateBindings(store, updated.profileBindings, updated.managedSpec);
  // The rollout of a configuration change finishes at once.
  updated.targetRevision += 1;
  updated.activeRevision = updated.targetRevision;
  updated.updatedAt = timestampNow();
  store.runners.get(current.id).msg = updated;
  return updated;
}

function deleteManagedRunner(store, req) {
  const runner = findRunner(store, req.id);
  store.runners.delete(runner.id);
  store.runnerIdIndex.delete(runner.identity.runnerId);
  return {};
}

function applyManagedRunnerUpdate(store, req) {
  const current = findRunner(store, req.id);
  if (!current.updateAvailable) {
    throw withErrorInfo(
      Code.FailedPrecondition,
      `runner "${req.id}" has no update available`,
      "CWSANDBOX_NO_UPDATE_AVAILABLE",
      { id: current.id },
    );
  }
  const updated = clone(RunnerSchema, current);
  updated.updateAvailable = false;
  updated.activeConfigVersion = NEWER_RUNNER_VERSION;
  updated.deploymentSpec.image = `cwsandbox/runner:${NEWER_RUNNER_VERSION}`;
  updated.targetRevision += 1;
  updated.activeRevision = updated.targetRevision;
  updated.updatedAt = timestampNow();
  store.runners.get(current.id).msg = updated;
  return updated;
}

// ---- shared helpers ----

function rejectOutputOnly(msg, schema, names, prefix) {
  for (const name of names) {
    const field = schema.field[name];
    if (isFieldSet(msg, field)) {
      throw invalidArgument(
        `${prefix}.${field.name}`,
        "is output only; remove it from the request",
      );
    }
  }
}

function validateName(value, field) {
  if (value === "") {
    throw invalidArgument(field, "is required");
  }
  if (!NAME_PATTERN.test(value)) {
    throw invalidArgument(
      field,
      `"${value}" is invalid: use 1-63 characters of [a-z0-9-], starting and ending with a letter or digit`,
    );
  }
}

function validateSpec(spec, field) {
  for (const [name, proto] of [
    ["namespaceConfigJson", "namespace_config_json"],
    ["networkConfigJson", "network_config_json"],
    ["podTemplateJson", "pod_template_json"],
  ]) {
    if (spec[name] !== "") {
      validateJsonObject(spec[name], `${field}.${proto}`);
    }
  }
}

function validateJsonObject(text, field) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(field, `is not valid JSON: ${err.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidArgument(field, "must be a JSON object");
  }
}

/**
 * Returns one page of a store map in creation order. The page token is the
 * base64url of "<kind>:<sequence number of the last item returned>".
 */
function page(map, req, kind) {
  if (req.pageSize < 0) {
    throw invalidArgument("page_size", `${req.pageSize} is negative; use 0 for the default of 50`);
  }
  const size = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(req.pageSize, MAX_PAGE_SIZE);
  let after = 0;
  if (req.pageToken !== "") {
    const decoded = Buffer.from(req.pageToken, "base64url").toString("utf8");
    const match = /^([a-z]+):(\d+)$/.exec(decoded);
    if (match === null || match[1] !== kind) {
      throw invalidArgument(
        "page_token",
        "is invalid; send the next_page_token of the previous page",
      );
    }
    after = Number(match[2]);
  }
  const items = [];
  let lastSeq = 0;
  let more = false;
  for (const { seq, msg } of map.values()) {
    if (seq <= after) {
      continue;
    }
    if (items.length === size) {
      more = true;
      break;
    }
    items.push(msg);
    lastSeq = seq;
  }
  const nextPageToken = more ? Buffer.from(`${kind}:${lastSeq}`).toString("base64url") : "";
  return { items, nextPageToken };
}
