import { currentCallScope } from "@faultmaven/call-scope";
import { MultiKeyStep, type RedisClient, type ScriptCall } from "@faultmaven/redis";
import type { SessionPolicy } from "../domain/session.js";
import { type CreateCall, type CreateReply, type CreateResult, createResultOf, newSessionArgs } from "./create-call.js";
import { createInSteps, type Resume } from "./create-in-steps.js";
import { sessionKeys } from "./keys.js";
import { CREATE_OR_RESUME, CREATE_OR_RESUME_RECORDED } from "./scripts/create-or-resume-script.js";
import { USER_INDEX_LIMIT } from "./session-steps.js";

/**
 * CreateSession (create or resume) as a MultiKeyStep. On standalone and
 * Sentinel it is ONE atomic script (CREATE_OR_RESUME) over the new session,
 * the client index, the user index and the session the index names. The
 * first plan bets that the index is empty (a new pair) and sends the index
 * read along with the script, in the same round trip: when the bet loses,
 * the script writes nothing and answers stale_plan, and the re-plan names
 * the session that read found (two round trips in all). Later re-plans
 * (the index changed again meanwhile) read afresh. A call with an
 * idempotency key runs CREATE_OR_RESUME_RECORDED, its idempotent step: a
 * retry gets the first call's reply, naming the same session. On Cluster:
 * createInSteps.
 */
export function createStep(policy: SessionPolicy, resume: Resume): MultiKeyStep<CreateCall, CreateResult> {
  return new MultiKeyStep<CreateCall, CreateResult>(CREATE_OR_RESUME.name, {
    plan: (client, call) => {
      if (call.plans++ === 0) {
        call.read = sentAlong(client.get(clientIndexOf(call)));
        return scriptCall(call, null, policy);
      }
      const read = call.read ?? client.get(clientIndexOf(call));
      call.read = undefined;
      return read.then((indexed) => scriptCall(call, indexed, policy));
    },
    decode: (reply, call) => createResultOf(reply as CreateReply, call.input, policy),
    split: (calls, call) => createInSteps(calls, call, policy, resume),
  });
}

function scriptCall(call: CreateCall, indexed: string | null, policy: SessionPolicy): ScriptCall {
  const { input, sessionId } = call;
  return {
    script: currentCallScope()?.idempotency ? CREATE_OR_RESUME_RECORDED : CREATE_OR_RESUME,
    keys: [
      sessionKeys.session(sessionId),
      clientIndexOf(call),
      sessionKeys.userIndex(input.userId),
      ...(indexed === null ? [] : [sessionKeys.session(indexed), sessionKeys.messages(indexed)]),
    ],
    args: [policy.idleTtlMs, policy.maxLifetimeMs, indexed ?? "", USER_INDEX_LIMIT, ...newSessionArgs(input, sessionId)],
  };
}

function clientIndexOf(call: CreateCall): string {
  return sessionKeys.clientIndex(call.input.userId, call.input.clientId);
}

/** A read whose result may never be awaited (the bet won, or the call failed): its failure must not go unhandled. */
function sentAlong(read: ReturnType<RedisClient["get"]>): Promise<string | null> {
  read.catch(() => undefined);
  return read;
}
