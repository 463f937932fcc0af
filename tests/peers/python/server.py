"""ASGI app of the in-memory RunnerManagementService, for Hypercorn.

    hypercorn --bind 127.0.0.1:PORT server:app   (from this directory)
    python run_server.py --port N                (prints "listening 127.0.0.1:PORT")

PEER_SEED_TEMPLATES=N creates N templates at start, named seed-00000...,
with every field set; seed-00000 has the id 00000000-0000-4000-8000-000000000000.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "gen"))

from coreweave.sandbox.v1beta2 import profile_template_pb2  # noqa: E402
from coreweave.sandbox.v1beta2.runner_management_service_connect import (  # noqa: E402
    RunnerManagementServiceASGIApplication,
)

from service import ORGANIZATION_ID, RunnerManagement, Store, now  # noqa: E402

FIRST_SEED_ID = "00000000-0000-4000-8000-000000000000"


def seed_templates(store: Store, count: int) -> None:
    """Adds `count` templates with every field set, for benchmarks."""
    stamp = now()
    for i in range(count):
        spec = profile_template_pb2.ProfileSpec(
            container_image="registry.example.com/ml/train:2.4",
            runtime_class="kata-qemu",
            resource_defaults=profile_template_pb2.ResourceDefaults(
                cpu_request="500m", memory_request="1Gi", cpu_limit="2", memory_limit="4Gi"
            ),
            instance_types=["gd-8xh100ib-i128", "cd-gp-a192-genoa"],
            node_selector={
                "node.coreweave.cloud/class": "cpu",
                "topology.kubernetes.io/zone": "us-east-04a",
            },
            tags=["seed", "benchmark"],
            namespace_config_json='{"strategy":"per-user","namespacePrefix":"sbx-"}',
            network_config_json=(
                '{"egress":{"default":"restricted","modes":{"restricted":'
                '{"type":"allowlist","cidrs":["10.0.0.0/8"]},"open":{"type":"internet"}}}}'
            ),
            pod_template_json=(
                '{"tolerations":[{"key":"is_cpu_compute","operator":"Exists",'
                '"effect":"NoSchedule"}],"annotations":{"example.com/team":"ml"}}'
            ),
        )
        store.add_template(
            profile_template_pb2.ProfileTemplate(
                id=FIRST_SEED_ID if i == 0 else str(uuid.uuid4()),
                organization_id=ORGANIZATION_ID,
                display_name=f"seed-{i:05d}",
                description=f"Seed template {i} for benchmarks",
                spec=spec,
                labels={"team": "ml", "tier": "bench", "index": str(i)},
                created_at=stamp,
                updated_at=stamp,
            )
        )


def seed_count_from_env() -> int:
    raw = os.environ.get("PEER_SEED_TEMPLATES", "0")
    try:
        count = int(raw)
    except ValueError:
        count = -1
    if count < 0:
        raise SystemExit(f'invalid PEER_SEED_TEMPLATES "{raw}": use a non-negative integer')
    return count


store = Store()
seed_templates(store, seed_count_from_env())
app = RunnerManagementServiceASGIApplication(RunnerManagement(store))
