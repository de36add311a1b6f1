import { describe, expect, it } from "vitest";
import { ApiError } from "../../workers/errors.js";
import { checkWebhookUrl } from "../../workers/services/webhook-url.js";

const refusal = (url: string, local: boolean) => {
  try {
    checkWebhookUrl(url, { local });
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).details).toEqual([{ path: "webhook", message: expect.any(String) }]);
    return (error as ApiError).message;
  }
};

describe("checkWebhookUrl", () => {
  it.each([
    "http://example.com/hook",
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://10.0.0.7/hook",
    "https://172.20.1.1/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://localhost/hook",
    "https://api.localhost/hook",
    "https://printer.local/hook",
    "https://db.internal/hook",
    "https://router.home.arpa/hook",
    "https://intranet/hook",
    "https://user:secret@example.com/hook",
  ])("refuses %s in production", (url) => {
    const message = refusal(url, false);
    expect(message).toMatch(/^webhook /);
    expect(message).not.toContain(url);
  });

  it.each(["https://example.com/hook", "https://hooks.example.co.uk:8443/easel?token=abc", "https://93.184.216.34/hook", "https://[2606:4700::1111]/hook"])(
    "accepts %s in production",
    (url) => expect(refusal(url, false)).toBeNull(),
  );

  it("accepts http to loopback only on a local deployment", () => {
    for (const url of ["http://127.0.0.1:9/hook", "http://localhost:8080/hook", "http://[::1]:9/hook", "https://10.0.0.7/hook"]) expect(refusal(url, true)).toBeNull();
    for (const url of ["http://example.com/hook", "http://10.0.0.7/hook", "http://user:pw@127.0.0.1/hook"]) expect(refusal(url, true)).not.toBeNull();
  });
});
