"""An in-memory RunnerManagementService for one organization.

It follows the API contract at a basic level, like tests/peers/node/service.mjs:
ids, timestamps, duplicate and not-found errors with ErrorInfo, pagination,
update masks and a few validation rules. Runner installs finish at once:
Create returns PENDING, later reads see READY.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import duration_pb2, empty_pb2, timestamp_pb2
from google.rpc import error_details_pb2

from coreweave.sandbox.v1beta2 import (
    profile_template_pb2,
    runner_management_service_pb2 as service_pb2,
    runner_pb2,
)

ORGANIZATION_ID = "org-peer"
DOMAIN = "cwsandbox.com"

# The clusters this server accepts. A runner must name one of them.
CLUSTERS = [
    {"id": "3f1c9a52-5a7e-4d0b-9c1e-04a000000001", "name": "cks-east-04a", "zone": "US-EAST-04A"},
    {"id": "3f1c9a52-5a7e-4d0b-9c1e-01a000000002", "name": "cks-west-01a", "zone": "US-WEST-01A"},
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
NAME_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
RUNNER_VERSION = "1.0.0"
NEWER_RUNNER_VERSION = "1.1.0"

TEMPLATE_OUTPUT_ONLY = {"id", "organization_id", "created_at", "updated_at"}
RUNNER_OUTPUT_ONLY = {
    "id",
    "management_mode",
    "install_status",
    "install_error",
    "connection_status",
    "active_config_version",
    "active_profile_spec_version",
    "active_revision",
    "target_revision",
    "update_available",
    "rollout_in_progress",
    "deployment_spec",
    "created_at",
    "updated_at",
    "last_heartbeat_at",
    "organization_id",
}

# Connect code names in snake_case ("invalid_argument"), mapped to Code values.
CODE_BY_NAME = {code.value: code for code in Code}


# ---- errors ----


def error_info(reason: str, metadata: dict[str, str]) -> error_details_pb2.ErrorInfo:
    return error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata)


def with_error_info(code: Code, message: str, reason: str, **metadata: str) -> ConnectError:
    return ConnectError(code, message, details=[error_info(reason, metadata)])


def invalid_argument(field_path: str, description: str) -> ConnectError:
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field_path, description=description)
        ]
    )
    return ConnectError(
        Code.INVALID_ARGUMENT, f"{field_path}: {description}", details=[bad_request]
    )


def forced_error(name: str) -> ConnectError | None:
    """Returns the error of GetProfileTemplate for the id `fail-<name>`.

    None when `name` is not a Connect code name.
    """
    code = CODE_BY_NAME.get(name)
    if code is None:
        return None
    if code is Code.UNAVAILABLE:
        details = [
            error_details_pb2.RetryInfo(
                retry_delay=duration_pb2.Duration(seconds=1, nanos=500_000_000)
            )
        ]
    elif code is Code.INVALID_ARGUMENT:
        details = [
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field="id", description="forced invalid argument"
                    )
                ]
            )
        ]
    elif code is Code.RESOURCE_EXHAUSTED:
        details = [
            error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2)),
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject="organization", description="forced resource exhausted"
                    )
                ]
            ),
        ]
    else:
        details = [error_info("CWSANDBOX_FORCED", {"code": name})]
    return ConnectError(code, f"forced {name}", details=details)


# ---- validation helpers ----


def now() -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    return ts


def reject_output_only(msg, names: set[str], prefix: str) -> None:
    for desc, _ in msg.ListFields():
        if desc.name in names:
            raise invalid_argument(
                f"{prefix}.{desc.name}", "is output only; remove it from the request"
            )


def validate_name(value: str, field_path: str) -> None:
    if value == "":
        raise invalid_argument(field_path, "is required")
    if not NAME_PATTERN.match(value):
        raise invalid_argument(
            field_path,
            f'"{value}" is invalid: use 1-63 characters of [a-z0-9-], '
            "starting and ending with a letter or digit",
        )


def validate_json_object(text: str, field_path: str) -> None:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise invalid_argument(field_path, f"is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise invalid_argument(field_path, "must be a JSON object")


def validate_spec(spec: profile_template_pb2.ProfileSpec, field_path: str) -> None:
    for name in ("namespace_config_json", "network_config_json", "pod_template_json"):
        text = getattr(spec, name)
        if text:
            validate_json_object(text, f"{field_path}.{name}")


# ---- pagination ----


@dataclass
class Entry:
    seq: int
    msg: object


def page(entries: dict[str, Entry], page_size: int, page_token: str, kind: str):
    """Returns one page in creation order and the next page token.

    The token is the base64url of "<kind>:<sequence number of the last item>".
    """
    if page_size < 0:
        raise invalid_argument("page_size", f"{page_size} is negative; use 0 for the default of 50")
    size = DEFAULT_PAGE_SIZE if page_size == 0 else min(page_size, MAX_PAGE_SIZE)
    after = 0
    if page_token:
        try:
            padded = page_token + "=" * (-len(page_token) % 4)
            decoded = base64.urlsafe_b64decode(padded).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        match = re.fullmatch(r"([a-z]+):(\d+)", decoded)
        if match is None or match.group(1) != kind:
            raise invalid_argument(
                "page_token", "is invalid; send the next_page_token of the previous page"
            )
        after = int(match.group(2))
    items = []
    last_seq = 0
    more = False
    for entry in entries.values():
        if entry.seq <= after:
            continue
        if len(items) == size:
            more = True
            break
        items.append(entry.msg)
        last_seq = entry.seq
    token = ""
    if more:
        token = base64.urlsafe_b64encode(f"{kind}:{last_seq}".encode()).decode().rstrip("=")
    return items, token


# ---- the store ----


@dataclass
class Store:
    """Resources of one organization. Stored messages are replaced, never
    changed in place, so a handler may return a stored message as it is."""

    templates: dict[str, Entry] = field(default_factory=dict)
    runners: dict[str, Entry] = field(default_factory=dict)
    runner_id_index: dict[str, str] = field(default_factory=dict)
    next_seq: int = 1

    def add_template(self, msg: profile_template_pb2.ProfileTemplate) -> None:
        self.templates[msg.id] = Entry(self.next_seq, msg)
        self.next_seq += 1

    def add_runner(self, msg: runner_pb2.Runner) -> None:
        self.runners[msg.id] = Entry(self.next_seq, msg)
        self.runner_id_index[msg.identity.runner_id] = msg.id
        self.next_seq += 1

    def template_by_display_name(self, display_name: str):
        for entry in self.templates.values():
            if entry.msg.display_name == display_name:
                return entry.msg
        return None

    def find_template(self, template_id: str) -> profile_template_pb2.ProfileTemplate:
        if template_id == "":
            raise invalid_argument("id", "is required")
        entry = self.templates.get(template_id)
        if entry is None:
            raise with_error_info(
                Code.NOT_FOUND,
                f'profile template "{template_id}" not found',
                "CWSANDBOX_PROFILE_NOT_FOUND",
                id=template_id,
            )
        return entry.msg

    def find_runner(self, runner_id: str) -> runner_pb2.Runner:
        """Looks a runner up by its UUID or its runner id."""
        if runner_id == "":
            raise invalid_argument("id", "is required")
        entry = self.runners.get(runner_id) or self.runners.get(
            self.runner_id_index.get(runner_id, "")
        )
        if entry is None:
            raise with_error_info(
                Code.NOT_FOUND,
                f'runner "{runner_id}" not found',
                "CWSANDBOX_RUNNER_NOT_FOUND",
                id=runner_id,
            )
        return entry.msg

    def runner_on_cluster(self, cluster_id: str):
        for entry in self.runners.values():
            if entry.msg.identity.cluster_id == cluster_id:
                return entry.msg
        return None

    def runners_binding(self, template_id: str) -> list[runner_pb2.Runner]:
        return [
            entry.msg
            for entry in self.runners.values()
            if any(b.profile_template_id == template_id for b in entry.msg.profile_bindings)
        ]


# ---- runner helpers ----


def resolve_cluster(identity: runner_pb2.RunnerIdentity) -> dict[str, str]:
    if identity.zone == "":
        raise invalid_argument("runner.identity.zone", "is required, for example US-EAST-04A")
    if (identity.cluster_id == "") == (identity.cluster_name == ""):
        raise invalid_argument("runner.identity", "set exactly one of cluster_id and cluster_name")
    cluster = next(
        (
            c
            for c in CLUSTERS
            if c["id"] == identity.cluster_id or c["name"] == identity.cluster_name
        ),
        None,
    )
    if cluster is None:
        name = identity.cluster_id or identity.cluster_name
        raise with_error_info(
            Code.NOT_FOUND,
            f'cluster "{name}" not found',
            "CWSANDBOX_CLUSTER_NOT_FOUND",
            cluster=name,
        )
    if cluster["zone"].lower() != identity.zone.lower():
        raise invalid_argument(
            "runner.identity.zone",
            f'cluster "{cluster["name"]}" is in zone {cluster["zone"]}, not {identity.zone}',
        )
    return cluster


def validate_bindings(store: Store, bindings, managed_spec) -> None:
    prefix = "runner.profile_bindings"
    if len(bindings) == 0:
        raise invalid_argument(prefix, "needs at least one binding")
    seen: set[str] = set()
    for i, binding in enumerate(bindings):
        id_field = f"{prefix}[{i}].profile_template_id"
        template_id = binding.profile_template_id
        if template_id == "":
            raise invalid_argument(id_field, "is required")
        if template_id in seen:
            raise invalid_argument(id_field, f'template "{template_id}" is bound twice')
        seen.add(template_id)
        entry = store.templates.get(template_id)
        if entry is None:
            raise invalid_argument(id_field, f'profile template "{template_id}" not found')
        if binding.overrides_json:
            validate_json_object(binding.overrides_json, f"{prefix}[{i}].overrides_json")
        limits = entry.msg.spec.resource_defaults
        if managed_spec.enforce_resource_limits and not (limits.cpu_limit and limits.memory_limit):
            raise invalid_argument(
                id_field,
                f'template "{entry.msg.display_name}" sets no cpu_limit and memory_limit, '
                "which enforce_resource_limits requires",
            )
    defaults = sum(1 for b in bindings if b.is_default)
    if defaults != 1:
        raise invalid_argument(
            prefix, f"needs exactly one binding with is_default, found {defaults}"
        )


def _set_zone(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    cluster = next(c for c in CLUSTERS if c["id"] == dst.identity.cluster_id)
    if src.identity.zone.lower() != cluster["zone"].lower():
        raise invalid_argument(
            "runner.identity.zone",
            f'cluster "{cluster["name"]}" is in zone {cluster["zone"]}, not "{src.identity.zone}"',
        )
    dst.identity.zone = src.identity.zone


def _replace_managed_spec(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    """The parent path replaces the two booleans always and the other fields
    only when the request sets them."""
    if not src.HasField("managed_spec"):
        dst.ClearField("managed_spec")
        return
    spec, source = dst.managed_spec, src.managed_spec
    spec.allow_privileged_profile_annotations = source.allow_privileged_profile_annotations
    spec.enforce_resource_limits = source.enforce_resource_limits
    if source.release_channel != 0:
        spec.release_channel = source.release_channel
    if source.HasField("maintenance_policy"):
        spec.maintenance_policy.CopyFrom(source.maintenance_policy)
    if source.HasField("overrides"):
        spec.overrides.CopyFrom(source.overrides)


def _replace_sub_message(name: str) -> Callable[[runner_pb2.Runner, runner_pb2.Runner], None]:
    def apply(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
        if src.managed_spec.HasField(name):
            getattr(dst.managed_spec, name).CopyFrom(getattr(src.managed_spec, name))
        else:
            dst.managed_spec.ClearField(name)

    return apply


def _set_release_channel(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    dst.managed_spec.release_channel = src.managed_spec.release_channel


def _set_display_name(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    dst.display_name = src.display_name


def _set_runner_group_id(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    dst.identity.runner_group_id = src.identity.runner_group_id


def _replace_bindings(dst: runner_pb2.Runner, src: runner_pb2.Runner) -> None:
    del dst.profile_bindings[:]
    dst.profile_bindings.extend(src.profile_bindings)


RUNNER_PATHS = {
    "display_name": _set_display_name,
    "identity.zone": _set_zone,
    "identity.runner_group_id": _set_runner_group_id,
    "managed_spec": _replace_managed_spec,
    "managed_spec.release_channel": _set_release_channel,
    "managed_spec.maintenance_policy": _replace_sub_message("maintenance_policy"),
    "managed_spec.overrides": _replace_sub_message("overrides"),
    "profile_bindings": _replace_bindings,
}


def _default_runner_paths(src: runner_pb2.Runner) -> list[str]:
    paths = []
    if src.display_name:
        paths.append("display_name")
    if src.identity.zone:
        paths.append("identity.zone")
    if src.identity.runner_group_id:
        paths.append("identity.runner_group_id")
    if src.HasField("managed_spec"):
        paths.append("managed_spec")
    if len(src.profile_bindings) > 0:
        paths.append("profile_bindings")
    return paths


def _set_description(dst, src) -> None:
    dst.description = src.description


def _replace_spec(dst, src) -> None:
    if src.HasField("spec"):
        validate_spec(src.spec, "profile_template.spec")
        dst.spec.CopyFrom(src.spec)
    else:
        dst.ClearField("spec")


def _replace_labels(dst, src) -> None:
    dst.labels.clear()
    dst.labels.update(src.labels)


TEMPLATE_PATHS = {
    "description": _set_description,
    "spec": _replace_spec,
    "labels": _replace_labels,
}


def _unknown_path(path: str, known) -> ConnectError:
    return invalid_argument(
        "update_mask", f'path "{path}" is unknown or immutable; mutable paths: {", ".join(known)}'
    )


# ---- the service ----


class RunnerManagement:
    """Implements the RunnerManagementService protocol of the generated code."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create_profile_template(self, request, ctx):
        if not request.HasField("profile_template"):
            raise invalid_argument("profile_template", "is required")
        src = request.profile_template
        reject_output_only(src, TEMPLATE_OUTPUT_ONLY, "profile_template")
        validate_name(src.display_name, "profile_template.display_name")
        if not src.HasField("spec"):
            raise invalid_argument(
                "profile_template.spec", "is required; send {} for an empty spec"
            )
        validate_spec(src.spec, "profile_template.spec")
        if self.store.template_by_display_name(src.display_name) is not None:
            raise with_error_info(
                Code.ALREADY_EXISTS,
                f'profile template "{src.display_name}" already exists',
                "CWSANDBOX_PROFILE_ALREADY_EXISTS",
                display_name=src.display_name,
            )
        template = profile_template_pb2.ProfileTemplate()
        template.CopyFrom(src)
        template.id = str(uuid.uuid4())
        template.organization_id = ORGANIZATION_ID
        stamp = now()
        template.created_at.CopyFrom(stamp)
        template.updated_at.CopyFrom(stamp)
        self.store.add_template(template)
        return template

    async def get_profile_template(self, request, ctx):
        if request.id.startswith("fail-"):
            forced = forced_error(request.id[len("fail-") :])
            if forced is not None:
                raise forced
        return self.store.find_template(request.id)

    async def list_profile_templates(self, request, ctx):
        items, token = page(
            self.store.templates, request.page_size, request.page_token, "templates"
        )
        return service_pb2.ListProfileTemplatesResponse(
            profile_templates=items, next_page_token=token
        )

    async def update_profile_template(self, request, ctx):
        if not request.HasField("profile_template"):
            raise invalid_argument("profile_template", "is required")
        src = request.profile_template
        current = self.store.find_template(src.id)
        paths = list(request.update_mask.paths)
        if not paths:
            if src.display_name and src.display_name != current.display_name:
                raise invalid_argument("profile_template.display_name", "is immutable")
            if src.description:
                paths.append("description")
            if src.HasField("spec"):
                paths.append("spec")
            if len(src.labels) > 0:
                paths.append("labels")
        updated = profile_template_pb2.ProfileTemplate()
        updated.CopyFrom(current)
        for path in paths:
            apply = TEMPLATE_PATHS.get(path)
            if apply is None:
                raise _unknown_path(path, TEMPLATE_PATHS)
            apply(updated, src)
        updated.updated_at.CopyFrom(now())
        self.store.templates[current.id].msg = updated
        return updated

    async def delete_profile_template(self, request, ctx):
        template = self.store.find_template(request.id)
        binders = self.store.runners_binding(template.id)
        if binders:
            runner_ids = ",".join(r.identity.runner_id for r in binders)
            raise with_error_info(
                Code.FAILED_PRECONDITION,
                f'profile template "{template.id}" is bound by runners {runner_ids}; '
                "remove the bindings first",
                "CWSANDBOX_PROFILE_IN_USE",
                id=template.id,
                runners=runner_ids,
            )
        del self.store.templates[template.id]
        return empty_pb2.Empty()

    async def create_managed_runner(self, request, ctx):
        if not request.HasField("runner"):
            raise invalid_argument("runner", "is required")
        src = request.runner
        reject_output_only(src, RUNNER_OUTPUT_ONLY, "runner")
        if not src.HasField("identity"):
            raise invalid_argument("runner.identity", "is required")
        runner_id = request.runner_id or src.identity.runner_id
        validate_name(runner_id, "runner_id")
        if src.identity.runner_id and src.identity.runner_id != runner_id:
            raise invalid_argument(
                "runner.identity.runner_id",
                f'"{src.identity.runner_id}" differs from runner_id "{runner_id}"; '
                "send the same value or leave it empty",
            )
        if runner_id in self.store.runner_id_index:
            raise with_error_info(
                Code.ALREADY_EXISTS,
                f'runner "{runner_id}" already exists',
                "CWSANDBOX_RUNNER_ALREADY_EXISTS",
                runner_id=runner_id,
            )
        cluster = resolve_cluster(src.identity)
        occupant = self.store.runner_on_cluster(cluster["id"])
        if occupant is not None:
            raise with_error_info(
                Code.ALREADY_EXISTS,
                f'cluster "{cluster["name"]}" already has runner "{occupant.identity.runner_id}"',
                "CWSANDBOX_CLUSTER_HAS_RUNNER",
                cluster_name=cluster["name"],
                runner_id=occupant.identity.runner_id,
            )
        validate_bindings(self.store, src.profile_bindings, src.managed_spec)

        stamp = now()
        runner = runner_pb2.Runner()
        runner.CopyFrom(src)
        runner.id = str(uuid.uuid4())
        runner.identity.runner_id = runner_id
        runner.identity.cluster_id = cluster["id"]
        runner.identity.cluster_name = cluster["name"]
        runner.management_mode = runner_pb2.MANAGEMENT_MODE_MANAGED
        runner.install_status = runner_pb2.RUNNER_INSTALL_STATUS_PENDING
        runner.connection_status = runner_pb2.RUNNER_CONNECTION_STATUS_DISCONNECTED
        runner.target_revision = 1
        runner.rollout_in_progress = True
        # A newer version is available after every install, so that
        # ApplyManagedRunnerUpdate has something to apply.
        runner.update_available = True
        runner.deployment_spec.image = f"cwsandbox/runner:{RUNNER_VERSION}"
        runner.deployment_spec.image_pull_policy = "IfNotPresent"
        runner.created_at.CopyFrom(stamp)
        runner.updated_at.CopyFrom(stamp)
        runner.organization_id = ORGANIZATION_ID

        installed = runner_pb2.Runner()
        installed.CopyFrom(runner)
        installed.install_status = runner_pb2.RUNNER_INSTALL_STATUS_READY
        installed.connection_status = runner_pb2.RUNNER_CONNECTION_STATUS_CONNECTED
        installed.active_config_version = RUNNER_VERSION
        installed.active_revision = installed.target_revision
        installed.rollout_in_progress = False
        installed.last_heartbeat_at.CopyFrom(stamp)
        self.store.add_runner(installed)
        return runner

    async def get_runner(self, request, ctx):
        return self.store.find_runner(request.id)

    async def list_managed_runners(self, request, ctx):
        items, token = page(self.store.runners, request.page_size, request.page_token, "runners")
        return service_pb2.ListManagedRunnersResponse(runners=items, next_page_token=token)

    async def update_managed_runner(self, request, ctx):
        if not request.HasField("runner"):
            raise invalid_argument("runner", "is required")
        src = request.runner
        current = self.store.find_runner(src.id)
        paths = list(request.update_mask.paths) or _default_runner_paths(src)
        updated = runner_pb2.Runner()
        updated.CopyFrom(current)
        for path in paths:
            apply = RUNNER_PATHS.get(path)
            if apply is None:
                raise _unknown_path(path, RUNNER_PATHS)
            apply(updated, src)
        validate_bindings(self.store, updated.profile_bindings, updated.managed_spec)
        # The rollout of a configuration change finishes at once.
        updated.target_revision += 1
        updated.active_revision = updated.target_revision
        updated.updated_at.CopyFrom(now())
        self.store.runners[current.id].msg = updated
        return updated

    async def delete_managed_runner(self, request, ctx):
        runner = self.store.find_runner(request.id)
        del self.store.runners[runner.id]
        del self.store.runner_id_index[runner.identity.runner_id]
        return empty_pb2.Empty()

    async def apply_managed_runner_update(self, request, ctx):
        current = self.store.find_runner(request.id)
        if not current.update_available:
            raise with_error_info(
                Code.FAILED_PRECONDITION,
                f'runner "{request.id}" has no update available',
                "CWSANDBOX_NO_UPDATE_AVAILABLE",
                id=current.id,
            )
        updated = runner_pb2.Runner()
        updated.CopyFrom(current)
        updated.update_available = False
        updated.active_config_version = NEWER_RUNNER_VERSION
        updated.deployment_spec.image = f"cwsandbox/runner:{NEWER_RUNNER_VERSION}"
        updated.target_revision += 1
        updated.active_revision = updated.target_revision
        updated.updated_at.CopyFrom(now())
        self.store.runners[current.id].msg = updated
        return updated
