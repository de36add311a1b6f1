import { notFound } from "../errors.js";
import type { ObjectStore } from "./storage.js";

// Images never change under an id, so the edge may keep them as long as it likes; the client
// copy stays private because the route is authenticated.
const EDGE_CACHE_CONTROL = "public, max-age=86400, immutable";
const CLIENT_CACHE_CONTROL = "private, max-age=3600, immutable";

/**
 * The image's bytes through the Worker, for stores that cannot presign: a signed GET to the
 * store, cached at the edge by image id. Called only after the caller's ownership is checked.
 */
export async function streamImage(
  store: ObjectStore,
  image: { id: string; key: string; contentType: string },
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const cacheKey = new Request(`https://image-cache.easel.internal/${image.id}`);
  const cached = await caches.default.match(cacheKey);
  if (cached) return withClientCaching(cached);
  const object = await store.get(image.key);
  if (object.status === 404) throw notFound("image object");
  const headers = { "content-type": image.contentType, "cache-control": EDGE_CACHE_CONTROL };
  const [forCache, forClient] = object.body!.tee();
  waitUntil(caches.default.put(cacheKey, new Response(forCache, { headers })));
  return withClientCaching(new Response(forClient, { headers }));
}

function withClientCaching(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set("cache-control", CLIENT_CACHE_CONTROL);
  return new Response(response.body, { status: 200, headers });
}
