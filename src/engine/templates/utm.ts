/** The campaign tags added to every tracked link. */
export interface UtmTags {
  campaign: string;
  content: string;
}

/**
 * Adds `utm_source=nurture`, `utm_medium=email`, `utm_campaign` and `utm_content` to an
 * http(s) URL. Other schemes (mailto:, tel:) come back untouched. Existing query
 * parameters are kept byte for byte (the query string is appended to, not re-serialised),
 * and a utm parameter the marketer already set wins over ours.
 *
 * @example
 * withUtm("https://app.example/x?ref=a#top", { campaign: "welcome", content: "day-1" })
 * // "https://app.example/x?ref=a&utm_source=nurture&utm_medium=email&utm_campaign=welcome&utm_content=day-1#top"
 */
export function withUtm(href: string, tags: UtmTags): string {
  if (!/^https?:\/\//i.test(href)) return href;
  const hashAt = href.indexOf("#");
  const [base, hash] = hashAt < 0 ? [href, ""] : [href.slice(0, hashAt), href.slice(hashAt)];
  const queryAt = base.indexOf("?");
  const existing = new URLSearchParams(queryAt < 0 ? "" : base.slice(queryAt + 1));
  const wanted: [string, string][] = [
    ["utm_source", "nurture"],
    ["utm_medium", "email"],
    ["utm_campaign", tags.campaign],
    ["utm_content", tags.content],
  ];
  const added = wanted
    .filter(([name]) => !existing.has(name))
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join("&");
  if (added === "") return href;
  const joiner = queryAt < 0 ? "?" : base.endsWith("?") || base.endsWith("&") ? "" : "&";
  return `${base}${joiner}${added}${hash}`;
}
