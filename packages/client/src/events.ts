import { EventSourceParserStream } from "eventsource-parser/stream";
import { EaselError } from "./errors.js";
import { networkError, url, type Transport } from "./http.js";
import type { JobEvent } from "./types.js";

export type EventsOptions = {
  /** Resume after this event (its `id`). */
  lastEventId?: number;
  signal?: AbortSignal;
  /** Reconnections in a row without an event before giving up. */
  maxReconnects?: number;
  /** Called whenever the stream is open (the server answered), at first and after each reconnection. */
  onOpen?: () => void;
};

const DEFAULT_RETRY_MS = 2000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new EaselError("aborted", "aborted"));
    }, { once: true });
  });

/**
 * A job's live events until its `end` event. A dropped connection is resumed with
 * `Last-Event-ID` after the server's `retry` delay; a 204 (nothing after the end) finishes too.
 */
export async function* jobEvents(transport: Transport, apiKey: string, jobId: string, options: EventsOptions = {}): AsyncGenerator<JobEvent> {
  const path = `/api/jobs/${encodeURIComponent(jobId)}/events`;
  const maxReconnects = options.maxReconnects ?? 5;
  let lastEventId = options.lastEventId;
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  for (;;) {
    let response: Response | null = null;
    try {
      response = await transport.fetch(url(transport, path), {
        headers: {
          accept: "text/event-stream",
          authorization: `Bearer ${apiKey}`,
          ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }),
        },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw networkError(`GET ${path}`, error);
    }
    if (response) {
      if (response.status === 204) return;
      if (!response.ok || !response.body) throw await EaselError.fromResponse(response, `GET ${path}`);
      options.onOpen?.();
      const events = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream({ onRetry: (ms) => (retryMs = ms) }));
      const reader = events.getReader();
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          const message = read.value;
          if (message.id !== undefined) lastEventId = Number(message.id);
          if (!message.data) continue;
          failures = 0;
          const event = { type: message.event ?? "message", id: message.id === undefined ? null : Number(message.id), data: JSON.parse(message.data) } as JobEvent;
          yield event;
          if (event.type === "end") return;
        }
      } catch (error) {
        if (options.signal?.aborted) throw networkError(`GET ${path}`, error);
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    }
    if (++failures > maxReconnects) throw new EaselError("stream_lost", `GET ${path}: the event stream dropped ${failures} times in a row`);
    await sleep(retryMs, options.signal);
  }
}
