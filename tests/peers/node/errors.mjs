// Connect errors of the in-memory service, with the google.rpc details that
// the API attaches: ErrorInfo in domain cwsandbox.com, BadRequest for
// validation failures, RetryInfo and QuotaFailure for the forced errors.

import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  QuotaFailureSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";

export const DOMAIN = "cwsandbox.com";

/** Connect code names in snake_case ("invalid_argument"), mapped to Code values. */
export const CODE_BY_NAME = new Map(
  Object.entries(Code)
    .filter(([, value]) => typeof value === "number")
    .map(([key, value]) => [key.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase(), value]),
);

/** Returns the snake_case Connect name of a Code value ("not_found"). */
export function codeName(code) {
  for (const [name, value] of CODE_BY_NAME) {
    if (value === code) {
      return name;
    }
  }
  return "unknown";
}

function errorInfo(reason, metadata) {
  return { desc: ErrorInfoSchema, value: { reason, domain: DOMAIN, metadata } };
}

/** Returns an error whose only detail is a google.rpc.ErrorInfo. */
export function withErrorInfo(code, message, reason, metadata) {
  return new ConnectError(message, code, undefined, [errorInfo(reason, metadata)]);
}

/** Returns INVALID_ARGUMENT with one google.rpc.BadRequest field violation. */
export function invalidArgument(field, description) {
  const badRequest = {
    desc: BadRequestSchema,
    value: { fieldViolations: [{ field, description }] },
  };
  return new ConnectError(`${field}: ${description}`, Code.InvalidArgument, undefined, [
    badRequest,
  ]);
}

/**
 * The error that `GetProfileTemplate` returns for the id `fail-<code>`, or
 * undefined when `code` is not a Connect code name.
 */
export function forcedError(name) {
  const code = CODE_BY_NAME.get(name);
  if (code === undefined) {
    return undefined;
  }
  const message = `forced ${name}`;
  let details;
  switch (code) {
    case Code.Unavailable:
      details = [retryInfo(1n, 500_000_000)];
      break;
    case Code.InvalidArgument:
      details = [
        {
          desc: BadRequestSchema,
          value: { fieldViolations: [{ field: "id", description: "forced invalid argument" }] },
        },
      ];
      break;
    case Code.ResourceExhausted:
      details = [
        retryInfo(2n, 0),
        {
          desc: QuotaFailureSchema,
          value: {
            violations: [{ subject: "organization", description: "forced resource exhausted" }],
          },
        },
      ];
      break;
    default:
      details = [errorInfo("CWSANDBOX_FORCED", { code: name })];
  }
  return new ConnectError(message, code, undefined, details);
}

function retryInfo(seconds, nanos) {
  return { desc: RetryInfoSchema, value: { retryDelay: { seconds, nanos } } };
}
