import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

export function fieldIssues(error: ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

/** Every zod-validated request that fails becomes one 400 naming the failing fields. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    throw new ApiError("validation_failed", "request does not match the schema", fieldIssues(result.error));
  }
};
