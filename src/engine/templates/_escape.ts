/**
 * How interpolated values are made harmless. Template text is trusted (marketers write
 * it in a reviewed pull request); values are not (user attributes come from the product
 * database, where a user may call themselves `[win](https://evil.example)`).
 */

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: none belongs in a
// header, and CR/LF there is header injection.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** A Liquid value as display text: missing values are empty, never "undefined" or "null". */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  if (Array.isArray(value)) return value.map(toText).filter((s) => s !== "").join(", ");
  // Driver values (DuckDB timestamps, decimals) carry their own toString; plain objects
  // would print "[object Object]", which is worse than nothing.
  const own = (value as { toString?: unknown }).toString;
  return typeof own === "function" && own !== Object.prototype.toString ? String(value) : "";
}

/** Plain text for a single line: controls become spaces, runs of spaces collapse. */
export function singleLine(text: string): string {
  return text.replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
}

/**
 * A value safe to drop into Markdown that becomes HTML. Every ASCII character other than
 * letters, digits and space turns into a numeric character reference: CommonMark treats
 * references as literal text, never as markup, so `*`, `[`, `<`, `#` or `1.` in a value
 * cannot start emphasis, a link, a tag, a heading or a list; and inside a link
 * destination references are decoded, so a URL variable still works. Whitespace
 * (including newlines) collapses to one space so a value cannot open a new block.
 */
export function neutralise(value: unknown): string {
  return singleLine(toText(value)).replace(/[^A-Za-z0-9 \u0080-\uffff]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
