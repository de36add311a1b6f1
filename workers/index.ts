import { createApp } from "./app.js";

export { JobAssembler } from "./assembler/job-assembler.js";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
