import { EaselError } from "./errors.js";

export type Transport = {
  baseUrl: string;
  fetch: typeof fetch;
};

export type CallOptions = {
  method?: string;
  token?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
};

export function url(transport: Transport, path: string, query: CallOptions["query"] = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  const suffix = search.size ? `?${search}` : "";
  return `${transport.baseUrl}${path}${suffix}`;
}

/** One API call: JSON in, JSON out, an EaselError for anything else. */
export async function call<T>(transport: Transport, path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const what = `${method} ${path}`;
  let response: Response;
  try {
    response = await transport.fetch(url(transport, path, options.query), {
      method,
      headers: {
        accept: "application/json",
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    throw networkError(what, error);
  }
  if (!response.ok) throw await EaselError.fromResponse(response, what);
  return (await response.json()) as T;
}

export function networkError(what: string, error: unknown): EaselError {
  if (error instanceof EaselError) return error;
  if (error instanceof Error && error.name === "AbortError") return new EaselError("aborted", `${what}: aborted`);
  return new EaselError("network_error", `${what}: ${error instanceof Error ? error.message : String(error)}`);
}

export function requireToken(token: string | undefined, what: string): string {
  if (!token) throw new EaselError("missing_credentials", `${what} needs ${what.includes("admin") ? "an admin token" : "an API key"}`);
  return token;
}
