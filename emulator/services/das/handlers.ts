/**
 * DAS handlers: parse the flat RPC query map, call the backend, shape the body like the API
 * reference's samples (`Code` 200 as an integer, `Message` "Successful", `Success` true). Business
 * failures come back as HTTP 200 with `Success: false` (see errors.ts). No state lives here.
 */
import type { ActionHandler } from "../types";
import type { DasBackend } from "./backend";
import { DasFailure } from "./errors";
import { parseKillRequest, parseTaskQuery } from "./params";

function success(data: unknown): Record<string, unknown> {
  return { Code: 200, Message: "Successful", Data: data, Success: true };
}

/**
 * `accountOf` gives the local cloud's account of an access key: tasks are seen only by callers of
 * the account that created them.
 */
export function createHandlers(
  backend: DasBackend,
  accountOf: (accessKeyId: string) => string,
): Record<string, ActionHandler> {
  return {
    async CreateKillInstanceSessionTask(params, ctx) {
      const caller = { accountId: accountOf(ctx.accessKeyId) };
      const created = backend.createKillTasks(parseKillRequest(params), caller);
      if (created instanceof DasFailure) return created.body();
      // `Data` is a string: the bare id, or a JSON array of ids when a PolarDB cluster was walked node by node.
      return success(created.perNode ? JSON.stringify(created.taskIds) : created.taskIds[0]);
    },

    async GetKillInstanceSessionTaskResult(params, ctx) {
      const result = backend.taskResult(parseTaskQuery(params), { accountId: accountOf(ctx.accessKeyId) });
      if (result instanceof DasFailure) return result.body();
      return success(result);
    },
  };
}
