/** A failure of the local stack, told as what went wrong and what to do about it. */
export class StackError extends Error {
  override name = "StackError";
  constructor(
    message: string,
    readonly hint?: string,
    readonly logFile?: string,
  ) {
    super(message);
  }

  describe(): string {
    return [
      `easel: ${this.message}`,
      this.hint ? `easel: ${this.hint}` : undefined,
      this.logFile ? `easel: its log: ${this.logFile}` : undefined,
    ]
      .filter((line) => line !== undefined)
      .join("\n");
  }
}

export function describeFailure(error: unknown): string {
  if (error instanceof StackError) return error.describe();
  return `easel: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
