import { rejected, type S3Transport } from "./s3-transport.js";

/** S3's floor for every part but the last; stores reject smaller ones at CompleteMultipartUpload. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

const PARALLEL_PARTS = 3;

type CompletedPart = { partNumber: number; etag: string };

/**
 * CreateMultipartUpload, UploadPart for each `partBytes` slice, CompleteMultipartUpload; aborted
 * (best effort) when anything fails, so no orphaned parts keep costing storage.
 */
export async function multipartUpload(
  transport: S3Transport,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  partBytes: number,
): Promise<void> {
  const uploadId = await createUpload(transport, key, contentType);
  try {
    const parts = await uploadParts(transport, key, uploadId, bytes, partBytes);
    await completeUpload(transport, key, uploadId, parts);
  } catch (error) {
    await transport.send("DELETE", key, { query: { uploadId } }).then((r) => r.body?.cancel(), () => undefined);
    throw error;
  }
}

async function createUpload(transport: S3Transport, key: string, contentType: string): Promise<string> {
  const response = await transport.send("POST", key, { query: { uploads: "" }, headers: { "content-type": contentType } });
  if (!response.ok) throw await rejected(response, `CreateMultipartUpload ${key}`);
  const uploadId = xmlText(await response.text(), "UploadId");
  if (!uploadId) throw new Error(`CreateMultipartUpload ${key}: the answer carries no UploadId`);
  return uploadId;
}

async function uploadParts(transport: S3Transport, key: string, uploadId: string, bytes: Uint8Array, partBytes: number) {
  const count = Math.max(1, Math.ceil(bytes.byteLength / partBytes));
  const parts: CompletedPart[] = [];
  let next = 0;
  let failed = false;
  // A few parts in flight: faster than one at a time, within a Worker's connection limit.
  const worker = async () => {
    while (next < count && !failed) {
      const index = next++;
      const slice = bytes.subarray(index * partBytes, (index + 1) * partBytes);
      try {
        parts.push(await uploadPart(transport, key, uploadId, index + 1, slice));
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Settle every part in flight before failing, so none lands after the abort.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure) throw failure.reason;
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

async function uploadPart(transport: S3Transport, key: string, uploadId: string, partNumber: number, body: Uint8Array) {
  const query = { partNumber: String(partNumber), uploadId };
  const response = await transport.send("PUT", key, { query, body });
  if (!response.ok) throw await rejected(response, `UploadPart ${partNumber} of ${key}`);
  await response.body?.cancel();
  const etag = response.headers.get("etag");
  if (!etag) throw new Error(`UploadPart ${partNumber} of ${key}: the answer carries no ETag`);
  return { partNumber, etag };
}

async function completeUpload(transport: S3Transport, key: string, uploadId: string, parts: CompletedPart[]) {
  const xml = `<CompleteMultipartUpload>${parts
    .map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag></Part>`)
    .join("")}</CompleteMultipartUpload>`;
  const response = await transport.send("POST", key, { query: { uploadId }, headers: { "content-type": "application/xml" }, body: xml });
  if (!response.ok) throw await rejected(response, `CompleteMultipartUpload ${key}`);
  // S3 may answer 200 and put the failure in the body, once it has started assembling.
  const body = await response.text();
  if (/<Error>/.test(body)) throw new Error(`CompleteMultipartUpload ${key} failed: ${xmlText(body, "Code") ?? "unknown error"}`);
}

function xmlText(xml: string, element: string): string | undefined {
  return new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml)?.[1];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
