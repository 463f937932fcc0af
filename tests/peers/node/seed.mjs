// Seed templates for benchmarks: every field of ProfileTemplate and
// ProfileSpec is set, so a Get or List carries a realistic payload.

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { randomUUID } from "node:crypto";
import { ProfileTemplateSchema } from "./gen/coreweave/sandbox/v1beta2/profile_template_pb.js";
import { ORGANIZATION_ID } from "./service.mjs";

/** Id of the template named seed-00000, which benchmarks Get. */
export const FIRST_SEED_ID = "00000000-0000-4000-8000-000000000000";

/** Adds `count` templates named seed-00000, seed-00001, ... to the store. */
export function seedTemplates(store, count) {
  const now = timestampNow();
  for (let i = 0; i < count; i++) {
    const name = `seed-${String(i).padStart(5, "0")}`;
    store.addTemplate(
      create(ProfileTemplateSchema, {
        id: i === 0 ? FIRST_SEED_ID : randomUUID(),
        organizationId: ORGANIZATION_ID,
        displayName: name,
        description: `Seed template ${i} for benchmarks`,
        spec: {
          containerImage: "registry.example.com/ml/train:2.4",
          runtimeClass: "kata-qemu",
          resourceDefaults: {
            cpuRequest: "500m",
            memoryRequest: "1Gi",
            cpuLimit: "2",
            memoryLimit: "4Gi",
          },
          instanceTypes: ["gd-8xh100ib-i128", "cd-gp-a192-genoa"],
          nodeSelector: {
            "node.coreweave.cloud/class": "cpu",
            "topology.kubernetes.io/zone": "us-east-04a",
          },
          tags: ["seed", "benchmark"],
          namespaceConfigJson: '{"strategy":"per-user","namespacePrefix":"sbx-"}',
          networkConfigJson:
            '{"egress":{"default":"restricted","modes":{"restricted":{"type":"allowlist","cidrs":["10.0.0.0/8"]},"open":{"type":"internet"}}}}',
          podTemplateJson:
            '{"tolerations":[{"key":"is_cpu_compute","operator":"Exists","effect":"NoSchedule"}],"annotations":{"example.com/team":"ml"}}',
        },
        labels: { team: "ml", tier: "bench", index: String(i) },
        createdAt: now,
        updatedAt: now,
      }),
    );
  }
}
