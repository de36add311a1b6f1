type Base64Alphabet = "base64" | "base64url";
type FromBase64 = (text: string, options: { alphabet: Base64Alphabet; lastChunkHandling: "loose" }) => Uint8Array;

// The runtime's own decoder works in linear memory; `Uint8Array.from(atob(text), …)` built a list of
// every byte first and ran out of memory far below the 20 MiB a legacy handler may send.
const fromBase64 = (Uint8Array as unknown as { fromBase64: FromBase64 }).fromBase64;

/**
 * Decodes standard or URL-safe base64 (one alphabet, not a mix), skipping whitespace and taking
 * missing padding; null when the text is not base64.
 */
export function decodeBase64(text: string): Uint8Array | null {
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) return null;
  try {
    return fromBase64(text, { alphabet: urlSafe ? "base64url" : "base64", lastChunkHandling: "loose" });
  } catch {
    return null;
  }
}
