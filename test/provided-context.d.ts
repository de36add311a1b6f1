import "vitest";

declare module "vitest" {
  // Provided by test/global-setup.ts.
  export interface ProvidedContext {
    s3Port: number;
    s3Bucket: string;
    runpodPort: number;
    webhookReceiverPort: number;
  }
}
