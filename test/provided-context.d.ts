import "vitest";

declare module "vitest" {
  // Provided by test/global-setup.ts.
  export interface ProvidedContext {
    /** The default S3 server (s3rver) behind its outage proxy: the Worker's S3_ENDPOINT binding. */
    s3Port: number;
    s3Bucket: string;
    /** Every S3 server the storage tests run against, each behind its own outage proxy. */
    s3Servers: { name: string; port: number; bucket: string; anonymousAllowed: boolean }[];
    runpodPort: number;
    webhookReceiverPort: number;
  }
}
