import { z } from "zod";

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, json(ErrorBody, "error")])) as Record<number, ReturnType<typeof json<typeof ErrorBody>>>;

/** Ids are at most 64 characters; a longer one names nothing, so it is not found (404) rather than malformed. */
export const IdParam = z.object({ id: z.string().min(1).describe("at most 64 characters; a longer id is not found (404)") });
export const JobIdParam = z.object({ jobId: z.string().min(1).max(64) });
