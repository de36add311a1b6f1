/** Decodes standard or URL-safe base64; null when the text is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const normalised = text.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalised) || normalised.length % 4 === 1) return null;
  const padded = normalised.padEnd(Math.ceil(normalised.length / 4) * 4, "=");
  try {
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

export function decodedLength(text: string): number {
  const clean = text.replace(/\s+/g, "").replace(/=+$/, "");
  return Math.floor((clean.length * 3) / 4);
}
