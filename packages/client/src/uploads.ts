import { EaselError } from "./errors.js";
import { call, networkError, type Transport } from "./http.js";
import type { CreateUploadRequest, Upload } from "./types.js";

/** What `uploads.upload` takes: the bytes, a Blob or File, or (from Node only) a path on this machine. */
export type UploadSource = Uint8Array | ArrayBuffer | Blob | string;
export type UploadedImage = { key: string; contentType: string; contentLength: number };
/** Reads a file path into bytes; only the Node entry point has one. */
export type PathReader = (path: string) => Promise<Uint8Array>;

const EXTENSION_TYPES = new Map([["png", "image/png"], ["jpg", "image/jpeg"], ["jpeg", "image/jpeg"], ["webp", "image/webp"]]);

/** The image type from its first bytes: PNG, JPEG or WebP. */
export function sniffContentType(bytes: Uint8Array): string | null {
  const starts = (...values: number[]) => values.every((value, index) => bytes[index] === value);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP") return "image/webp";
  return null;
}

async function readSource(source: UploadSource, readPath: PathReader): Promise<{ bytes: Uint8Array<ArrayBuffer>; type: string | null }> {
  if (typeof source === "string") {
    const bytes = new Uint8Array(await readPath(source));
    return { bytes, type: EXTENSION_TYPES.get(source.split(".").pop()!.toLowerCase()) ?? null };
  }
  if (source instanceof Blob) return { bytes: new Uint8Array(await source.arrayBuffer()), type: source.type || null };
  return { bytes: new Uint8Array(source instanceof ArrayBuffer ? source.slice(0) : source.slice()), type: null };
}

/** `POST /api/uploads`: where to PUT an input image of this type and exact size, and with which headers. */
export async function createUpload(transport: Transport, apiKey: string, request: CreateUploadRequest): Promise<Upload> {
  return call<Upload>(transport, "/api/uploads", { method: "POST", token: apiKey, body: request });
}

/**
 * Asks `POST /api/uploads` where to put the image, then PUTs exactly its bytes to `url` with the
 * given `headers`: a presigned PUT to the bucket, or the Worker's own signed upload route, alike.
 */
export async function uploadImage(transport: Transport, apiKey: string, source: UploadSource, readPath: PathReader, contentType?: string): Promise<UploadedImage> {
  const { bytes, type } = await readSource(source, readPath);
  const chosen = contentType ?? sniffContentType(bytes) ?? type;
  if (!chosen) throw new EaselError("unknown_content_type", "cannot tell the image's type: give contentType (image/png, image/jpeg or image/webp)");
  const upload = await createUpload(transport, apiKey, { contentType: chosen as CreateUploadRequest["contentType"], contentLength: bytes.byteLength });
  let put: Response;
  try {
    put = await transport.fetch(upload.url, { method: upload.method ?? "PUT", headers: upload.headers, body: bytes });
  } catch (error) {
    throw networkError("PUT to the upload URL", error);
  }
  if (!put.ok) throw new EaselError("upload_failed", `PUT to the upload URL answered ${put.status}`, put.status, (await put.text()).slice(0, 200) || undefined);
  await put.body?.cancel();
  return { key: upload.key, contentType: chosen, contentLength: bytes.byteLength };
}
