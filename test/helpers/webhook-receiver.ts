import { inject } from "vitest";

/** The loopback webhook endpoint of test/node/webhook-receiver.ts: `hookUrl(name)` receives for `name`. */
export type ScriptedAnswer = { status: number; headers?: Record<string, string>; bodyBytes?: number; hang?: boolean };
export type ReceivedWebhook = { headers: Record<string, string>; body: string };

const base = () => `http://127.0.0.1:${inject("webhookReceiverPort")}`;

export const hookUrl = (name: string) => `${base()}/hooks/${name}`;

export async function scriptAnswers(name: string, answers: ScriptedAnswer[]) {
  await fetch(`${base()}/_test/script/${name}`, { method: "POST", body: JSON.stringify(answers) });
}

export async function receivedBy(name: string): Promise<ReceivedWebhook[]> {
  return (await fetch(`${base()}/_test/received/${name}`)).json();
}
