"""Reference proto3 JSON and binary encoding as a line filter, for differential tests.

Reads JSON lines from stdin, one of:

    {"type": "coreweave.sandbox.v1beta2.ProfileTemplate", "json": <JSON value>}
    {"type": "google.rpc.ErrorInfo", "binary_b64": "<standard base64>"}

`type` is the fully qualified name of any message of the repository's protos
or of the well-known types. `"ignore_unknown": true` makes JSON parsing skip
unknown fields (the default rejects them). Writes one line per input line,
flushed at once:

    {"ok": true, "json": <MessageToJson output>, "binary_b64": "<SerializeToString>"}
    {"ok": false, "error": "<why the input was rejected>"}

The JSON output uses lowerCamelCase names (preserving_proto_field_name
false) and omits fields with default values. The binary output is
deterministic: map entries are sorted by key. Blank input lines are skipped.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import sys
from pathlib import Path

GEN_DIR = Path(__file__).resolve().parent / "gen"
sys.path.insert(0, str(GEN_DIR))

from google.protobuf import descriptor_pool, json_format, message_factory  # noqa: E402
from google.protobuf.message import DecodeError, EncodeError  # noqa: E402

WELL_KNOWN_MODULES = [
    "google.protobuf.any_pb2",
    "google.protobuf.duration_pb2",
    "google.protobuf.empty_pb2",
    "google.protobuf.field_mask_pb2",
    "google.protobuf.struct_pb2",
    "google.protobuf.timestamp_pb2",
    "google.protobuf.wrappers_pb2",
]


def load_generated_modules() -> None:
    """Imports every *_pb2 module, which registers its messages in the default pool."""
    for name in WELL_KNOWN_MODULES:
        importlib.import_module(name)
    for path in sorted(GEN_DIR.rglob("*_pb2.py")):
        module = ".".join(path.relative_to(GEN_DIR).with_suffix("").parts)
        importlib.import_module(module)


def reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    """json.loads hook: the reference parser rejects duplicate object keys too."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def message_class(type_name: str):
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(type_name)
    except KeyError:
        raise ValueError(
            f"unknown message type {type_name!r}; use a fully qualified name "
            "such as coreweave.sandbox.v1beta2.ProfileTemplate"
        ) from None
    return message_factory.GetMessageClass(descriptor)


def convert(line: str) -> dict:
    try:
        request = json.loads(line, object_pairs_hook=reject_duplicate_keys)
    except ValueError as err:
        return {"ok": False, "error": f"invalid input line: {err}"}
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        return {"ok": False, "error": 'invalid input line: expected an object with a string "type"'}
    if ("json" in request) == ("binary_b64" in request):
        return {
            "ok": False,
            "error": 'invalid input line: set exactly one of "json" and "binary_b64"',
        }

    try:
        msg = message_class(request["type"])()
        if "json" in request:
            json_format.Parse(
                json.dumps(request["json"]),
                msg,
                ignore_unknown_fields=request.get("ignore_unknown") is True,
            )
        else:
            encoded = request["binary_b64"]
            if not isinstance(encoded, str):
                raise ValueError('"binary_b64" must be a string')
            msg.ParseFromString(base64.b64decode(encoded, validate=True))
        output_json = json.loads(json_format.MessageToJson(msg, preserving_proto_field_name=False))
        output_binary = base64.b64encode(msg.SerializeToString(deterministic=True)).decode("ascii")
    # Each rejection becomes an error line for that input; the filter goes on.
    except (
        ValueError,
        TypeError,
        binascii.Error,
        DecodeError,
        EncodeError,
        json_format.ParseError,
        json_format.SerializeToJsonError,
    ) as err:
        return {"ok": False, "error": f"{type(err).__name__}: {err}"}
    return {"ok": True, "json": output_json, "binary_b64": output_binary}


def main() -> None:
    load_generated_modules()
    while True:
        line = sys.stdin.readline()
        if line == "":
            break
        if line.strip() == "":
            continue
        sys.stdout.write(json.dumps(convert(line), ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
