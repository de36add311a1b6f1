import { legacyContentType, legacyKey, type EaselEvent, type SaveImageRequest } from "../../schema/contract/index.js";
import { ApiError } from "../errors.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { getOwnedJob } from "./job-view.js";

/** The legacy front end's `/api/images/save`, rebuilt: the S3 key first, bytes only as a fallback that goes to the bucket. */
export async function saveImage(env: Env, owner: string, request: SaveImageRequest) {
  await getOwnedJob(env, owner, request.jobId);
  const key = legacyKey(request);
  const contentType = legacyContentType(request);
  let event: EaselEvent;
  if (key) event = { kind: "image", image: { index: request.index, key, size: request.fileSize ?? undefined, contentType } };
  else if (request.data) event = { kind: "image_bytes", index: request.index, data: request.data, contentType };
  else throw new ApiError("validation_failed", "send s3Key, networkVolumePath or data", [{ path: "s3Key", message: "required when data is absent" }]);

  const outcome = await assemblerFor(env, request.jobId).deliver({ webhookId: null, events: [event], source: "save-route" });
  if (outcome.result === "rejected") throw new ApiError(outcome.code, outcome.message, outcome.details);
  return { outcome, storedAs: key ? ("s3-key" as const) : ("bytes-uploaded" as const) };
}
