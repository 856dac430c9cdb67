/**
 * Well-formed text. JavaScript strings may hold lone UTF-16 surrogates (a `slice`
 * through an emoji makes one); JSON.stringify then writes `\ud83d`, which Redis's
 * cjson and PostgreSQL's JSONB refuse. Everything the engine encodes for them goes
 * through here, so an encoder never produces what a decoder rejects.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// JSON.stringify escapes exactly the lone surrogates, so this finds them in its output.
const ESCAPED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i;

export function hasLoneSurrogate(text: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text);
}

/** The text with each lone surrogate replaced by U+FFFD. */
export function toWellFormed(text: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATE, "\uFFFD") : text;
}

/** At most `max` UTF-16 units plus an ellipsis, never cutting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  const clean = toWellFormed(text);
  if (clean.length <= max) return clean;
  const code = clean.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${clean.slice(0, end)}…`;
}

/** JSON.stringify whose output holds no lone surrogate (in keys or values). */
export function stringifyWellFormed(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined || !ESCAPED_SURROGATE.test(json)) return json;
  return JSON.stringify(sanitize(value));
}

function sanitize(value: unknown): unknown {
  if (typeof value === "string") return toWellFormed(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [toWellFormed(key), sanitize(child)]),
    );
  }
  return value;
}
