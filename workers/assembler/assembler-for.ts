import type { JobAssembler } from "./job-assembler.js";

/** The job's JobAssembler (its Durable Object), addressed by the job id. */
export const assemblerFor = (env: Env, jobId: string): DurableObjectStub<JobAssembler> =>
  env.JOB_ASSEMBLER.get(env.JOB_ASSEMBLER.idFromName(jobId));
