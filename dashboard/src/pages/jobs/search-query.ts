/**
 * The Jobs page's search box: a line of qualifiers and words turned into the
 * parameters of GET /v1/search (the archive of finished jobs).
 *   state:failed type:email.send queue:emails from:2026-12-01 to:2026-12-02
 *   payload.user.plan:pro result.ok:false        (field equality; `=` works too)
 *   timeout "connection refused"                 (full text over attempt errors)
 * Quotes keep spaces inside one value; what is not a qualifier is error text.
 */
const QUALIFIERS = new Set(["queue", "type", "state", "from", "to", "error"]);
const FIELD = /^(payload|result)(\.[A-Za-z0-9_-]+)+$/;

function tokens(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:[^\s"]+|"[^"]*")+/g;
  for (const match of text.matchAll(pattern)) found.push(match[0]);
  return found;
}

const unquote = (value: string) =>
  value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;

/** Search parameters for the box's text; `queue` applies unless the text names one. */
export function searchParams(text: string, queue: string): Record<string, string> {
  const params: Record<string, string> = {};
  const words: string[] = [];
  for (const token of tokens(text.trim())) {
    const separator = token.search(/[:=]/);
    const key = separator > 0 ? token.slice(0, separator) : "";
    const value = separator > 0 ? token.slice(separator + 1) : "";
    if (key && value && (QUALIFIERS.has(key) || FIELD.test(key))) {
      if (key === "error") words.push(value);
      else params[key] = key.includes(".") ? value : unquote(value);
    } else {
      words.push(token);
    }
  }
  if (words.length > 0) params.error = words.join(" ");
  if (!params.queue) params.queue = queue;
  return params;
}
