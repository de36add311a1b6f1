import { inject } from "vitest";

/** Starts (`on`) or ends an outage of the S3 server for keys under `prefix`, through its outage proxy (test/node/outage-proxy.ts). */
export const storeOutage = (prefix: string, on: boolean) =>
  fetch(`http://127.0.0.1:${inject("s3Port")}/_outage?prefix=${encodeURIComponent(prefix)}`, { method: on ? "POST" : "DELETE" });
