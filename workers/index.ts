import { createApp } from "./app.js";
import { settings } from "./env.js";
import { sweepOverdueJobs } from "./jobs/sweep-overdue.js";
import { sweepUnusedUploads } from "./services/upload-retention.js";

export { JobAssembler } from "./assembler/job-assembler.js";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The Cron Trigger (`[triggers]` in wrangler.toml): settles jobs whose deadline passed unnoticed,
   * and deletes uploads no job used once their retention ran out.
   */
  async scheduled(_controller, env) {
    settings(env);
    const [jobs, uploads] = await Promise.all([sweepOverdueJobs(env), sweepUnusedUploads(env)]);
    const problems = [
      jobs.failed ? `${jobs.failed} of ${jobs.swept} overdue jobs could not be settled` : "",
      uploads.failed ? `${uploads.failed} unused uploads could not be deleted` : "",
    ].filter(Boolean);
    if (problems.length) throw new Error(`sweep: ${problems.join("; ")}`);
  },
} satisfies ExportedHandler<Env>;
