import { DurableObject } from "cloudflare:workers";

/** One per job: orders, dedupes and assembles everything the handler sends for that job. */
export class JobAssembler extends DurableObject<Env> {}
