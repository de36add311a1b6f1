import { createApp } from "./app.js";
import { settings } from "./env.js";
import { sweepOverdueJobs } from "./jobs/sweep-overdue.js";

export { JobAssembler } from "./assembler/job-assembler.js";

const app = createApp();

export default {
  fetch: app.fetch,
  /** The Cron Trigger (`[triggers]` in wrangler.toml): settles jobs whose deadline passed unnoticed. */
  async scheduled(_controller, env) {
    settings(env);
    const { swept, failed } = await sweepOverdueJobs(env);
    if (failed) throw new Error(`sweep: ${failed} of ${swept} overdue jobs could not be settled`);
  },
} satisfies ExportedHandler<Env>;
