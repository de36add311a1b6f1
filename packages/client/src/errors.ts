/**
 * Every failure the client reports: an API error carries the API's `code` (`validation_failed`,
 * `not_found`, `rate_limited`, …), its status and details; failures outside the API have codes of
 * their own (`network_error`, `upload_failed`, `stream_lost`, `invalid_signature`).
 */
export class EaselError extends Error {
  override name = "EaselError";

  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null = null,
    readonly details?: unknown,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }

  /** The API's error body `{error: {code, message, details}}`, or what the answer was instead. */
  static async fromResponse(response: Response, what: string): Promise<EaselError> {
    const requestId = response.headers.get("x-request-id");
    const text = await response.text().catch(() => "");
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string; details?: unknown } };
      return new EaselError(error.code, `${what}: ${error.message}`, response.status, error.details, requestId);
    } catch {
      return new EaselError("http_error", `${what} answered ${response.status}`, response.status, text.slice(0, 200) || undefined, requestId);
    }
  }
}
