import type { StatusObject } from "@grpc/grpc-js";
import { ResourceExhaustedError } from "@faultmaven/errors";
import type { InFlightCalls, ShedReason } from "./in-flight-calls.js";
import { toStatus } from "./status-details.js";

/** Why a call got no slot or lost it: RESOURCE_EXHAUSTED, reason SERVER_BUSY, with RetryInfo. */
function serverBusy(calls: InFlightCalls, shed: ShedReason | undefined): StatusObject {
  const [message, limit] =
    shed === "receiving_bytes"
      ? [
          `the server holds ${calls.maxReceivingBytes} bytes of unfinished requests, its limit, and ended this call, whose unfinished request held the most: retry later`,
          "grpc.max_receiving_bytes",
        ]
      : shed === "calls"
        ? [
            `the server reached its limit of ${calls.maxCalls} open calls and ended this one, whose request had not arrived whole: retry later`,
            "grpc.max_in_flight_calls",
          ]
        : [`the server has ${calls.maxCalls} calls open, its limit: retry later`, "grpc.max_in_flight_calls"];
  return toStatus(new ResourceExhaustedError(message, "SERVER_BUSY", limit)).status;
}

/**
 * The answers of the in-flight limits (a call refused a slot, or shed for
 * one of `ShedReason`), built once: under attack they are sent thousands
 * of times a second (grpc-js copies the metadata).
 */
export function serverBusyAnswers(calls: InFlightCalls): Readonly<Record<ShedReason | "refused", StatusObject>> {
  return {
    refused: serverBusy(calls, undefined),
    calls: serverBusy(calls, "calls"),
    receiving_bytes: serverBusy(calls, "receiving_bytes"),
  };
}
