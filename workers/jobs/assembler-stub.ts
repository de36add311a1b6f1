export const assemblerFor = (env: Env, jobId: string) => env.JOB_ASSEMBLER.get(env.JOB_ASSEMBLER.idFromName(jobId));
