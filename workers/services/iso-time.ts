/** A time the database keeps as epoch milliseconds, as the API shows it (ISO 8601, UTC). */
export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
