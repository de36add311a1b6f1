import WebSocket from "ws";

/** A V8 CPU profile, as the DevTools protocol's Profiler.stop returns it. */
export type CpuProfile = {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
};
export type CallFrame = { functionName: string; scriptId: string; url: string; lineNumber: number };

/**
 * A DevTools protocol session with the Worker's isolate, through `wrangler dev --inspector-port`
 * (the Worker and its Durable Objects share the isolate, so one profile holds both).
 */
export class InspectorSession {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id!);
      if (message.error) waiting.reject(new Error(`inspector: ${message.error.message}`));
      else waiting.resolve(message.result);
    });
  }

  static async open(inspectorPort: number): Promise<InspectorSession> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    if (!targets[0]) throw new Error(`no Worker to profile behind the inspector on port ${inspectorPort}`);
    const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new InspectorSession(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Samples the isolate every `intervalUs` while `work` runs. */
  async profile(work: () => Promise<void>, intervalUs = 200): Promise<CpuProfile> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.send("Profiler.start");
    const stop = () => this.send<{ profile: CpuProfile }>("Profiler.stop");
    try {
      await work();
    } catch (error) {
      await stop();
      throw error;
    }
    return (await stop()).profile;
  }

  /** The source of each script, for telling which module a bundled line came from. */
  async sources(scriptIds: Iterable<string>): Promise<Map<string, string>> {
    await this.send("Debugger.enable");
    const sources = new Map<string, string>();
    for (const scriptId of scriptIds) {
      const { scriptSource } = await this.send<{ scriptSource: string }>("Debugger.getScriptSource", { scriptId }).catch(() => ({ scriptSource: "" }));
      sources.set(scriptId, scriptSource);
    }
    await this.send("Debugger.disable");
    return sources;
  }

  close(): void {
    this.socket.close();
  }
}
