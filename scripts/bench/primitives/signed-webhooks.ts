import { Webhook } from "standardwebhooks";
import { JOBS, WEBHOOK_SECRET } from "./primitives.js";

/** One request the driver sends to every route: an `image` webhook of a job, signed as a v1 handler signs it. */
export type SignedWebhook = { jobId: string; body: string; headers: Record<string, string> };

// The side-by-side bench's image: a 512x512 PNG already in the bucket, only its metadata travels.
const IMAGE = { size: 32_717, content_type: "image/png", width: 512, height: 512 };

/** An image webhook per job, signed now: a route's run sends them round robin, well within the 5 minutes a signature is good for. */
export function signedWebhooks(): SignedWebhook[] {
  const signer = new Webhook(WEBHOOK_SECRET);
  const signedAt = new Date();
  return Array.from({ length: JOBS }, (_, job) => {
    const jobId = `job-${job}`;
    const webhookId = `msg_bench${job}`;
    const image = { index: 0, key: `jobs/${jobId}/0.png`, ...IMAGE, sha256: "5e".repeat(32) };
    const body = JSON.stringify({ type: "image", total_images: 8, image, job_id: jobId, runpod_job_id: `runpod-${jobId}` });
    const headers = {
      "content-type": "application/json",
      "webhook-id": webhookId,
      "webhook-timestamp": String(Math.floor(signedAt.getTime() / 1000)),
      "webhook-signature": signer.sign(webhookId, signedAt, body),
    };
    return { jobId, body, headers };
  });
}
