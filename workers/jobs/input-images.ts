import { ApiError } from "../errors.js";

/**
 * Input images reach the handler as presigned GETs after the client PUT them through presigned
 * URLs; a store that cannot presign (RunPod's volume S3 API) can do neither.
 */
export const cannotTakeInputs = () =>
  new ApiError("unavailable", "input images need a store that can presign URLs; this deployment's store (S3_MODE=network-volume) cannot");
