import { imageUrl } from "../jobs/job-view.js";
import type { ObjectStore } from "../services/storage.js";
import { imageRowId } from "./d1-sync.js";
import { isFinalStatus } from "../../schema/contract/index.js";
import type { AssemblerState } from "./state.js";

/**
 * Live events of one job as Server-Sent Events, fanned out inside its JobAssembler: each logged
 * event is rendered once (an image's display URL presigned once) and the same bytes are queued
 * to every open stream, so the Worker only pipes. Every event carries its `event_log` seq as its
 * id; a stream opened with `Last-Event-ID: n` starts after n. After the job's terminal event
 * (completed, failed, canceled, timed_out) comes a final `end` event, and the stream closes.
 */

type LoggedEvent = { seq: number; type: string; data: string };
type Subscriber = { controller: ReadableStreamDefaultController<Uint8Array>; cursor: number };

const KEEPALIVE_MS = 15_000;
const RECONNECT_MS = 2_000;
const encoder = new TextEncoder();

function sseFrame(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** What a client sees for one logged event. */
export async function renderEvent(env: Env, store: ObjectStore, state: AssemblerState, event: LoggedEvent): Promise<string> {
  const data = JSON.parse(event.data) as Record<string, unknown>;
  const job = state.job();
  if (event.type === "image" && job) {
    const image = state.image(Number(data.index));
    if (image) {
      const id = imageRowId(job.id, image.idx);
      return sseFrame("image", {
        id, index: image.idx, key: image.key, url: await imageUrl(env, store, { id, key: image.key }),
        size: image.size, contentType: image.content_type, width: image.width, height: image.height, sha256: image.sha256,
      }, event.seq);
    }
  }
  if (isFinalStatus(event.type)) return sseFrame(event.type, { status: event.type, ...data }, event.seq);
  return sseFrame(event.type, data, event.seq);
}

/** A stream that only ends: for a job that has no live events to give. */
export function finalEventOnly(status: string): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(sseFrame("end", { status })));
      controller.close();
    },
  });
}

export class EventFeed {
  private readonly subscribers = new Set<Subscriber>();
  private work: Promise<void> = Promise.resolve();
  private keepalive: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly state: AssemblerState,
    private readonly render: (event: LoggedEvent) => Promise<string>,
  ) {}

  /** A new stream of the events after `lastEventId`. */
  subscribe(lastEventId: number): ReadableStream<Uint8Array> {
    let subscriber: Subscriber;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        subscriber = { controller, cursor: lastEventId };
        controller.enqueue(encoder.encode(`retry: ${RECONNECT_MS}\n\n`));
        this.subscribers.add(subscriber);
        this.startKeepalive();
      },
      cancel: () => this.drop(subscriber),
    });
    this.publish();
    return stream;
  }

  /** Sends every logged event a stream has not had yet; called after the JobAssembler logs events. */
  publish(): void {
    this.work = this.work.then(() => this.send()).catch((error: unknown) => console.error("event stream", error));
  }

  private async send(): Promise<void> {
    if (this.subscribers.size === 0) return;
    const from = Math.min(...[...this.subscribers].map((subscriber) => subscriber.cursor));
    // Read together, with no await between: a terminal status means its event is among these.
    const status = this.state.job()?.status;
    const events = this.state.eventsAfter(from);
    // Streams opened during this send are served by the send their subscribe queued.
    const present = [...this.subscribers];
    for (const event of events) {
      const waiting = present.filter((subscriber) => subscriber.cursor < event.seq);
      if (waiting.length === 0) continue;
      const frame = encoder.encode(await this.render(event));
      for (const subscriber of waiting) {
        if (!this.subscribers.has(subscriber)) continue;
        subscriber.controller.enqueue(frame);
        subscriber.cursor = event.seq;
        if (isFinalStatus(event.type)) this.end(subscriber, event.type);
      }
    }
    // A stream resumed after the terminal event still gets its final event.
    if (status && isFinalStatus(status)) {
      for (const subscriber of present) if (this.subscribers.has(subscriber)) this.end(subscriber, status);
    }
  }

  private end(subscriber: Subscriber, status: string) {
    subscriber.controller.enqueue(encoder.encode(sseFrame("end", { status })));
    subscriber.controller.close();
    this.drop(subscriber);
  }

  private drop(subscriber: Subscriber) {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0 && this.keepalive !== null) {
      clearInterval(this.keepalive);
      this.keepalive = null;
    }
  }

  // A comment now and then keeps idle streams open through proxies that close silent connections,
  // and a write is how a stream whose client went away learns it and gets dropped.
  private startKeepalive() {
    if (this.keepalive !== null) return;
    this.keepalive = setInterval(() => {
      const comment = encoder.encode(": keepalive\n\n");
      for (const subscriber of this.subscribers) subscriber.controller.enqueue(comment);
    }, KEEPALIVE_MS);
  }
}
