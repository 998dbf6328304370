/**
 * NPS answers arrive as clicks: the survey's eleven answers are links, so the click is the
 * response. The shipped survey (config/templates/nps-survey.md) links to
 * `{{ site_url }}/nps/<score>/?k={{ key }}`, and the sender appends utm parameters
 * (src/engine/templates/utm.ts), so the score is read from an `/nps/<score>` path segment,
 * or from a `score` query parameter on an email tagged `type=survey` (for surveys that
 * link elsewhere).
 */

const SCORE = /^(?:10|[0-9])$/;

/**
 * The 0–10 score a clicked link answers, or undefined when the link is not an NPS answer.
 *
 * @example npsScore("https://taskly.github.io/nurture/nps/9/?k=abc&utm_source=nurture") // 9
 * @example npsScore("https://survey.example/?score=3", "survey") // 3
 */
export function npsScore(link: string, messageType?: string): number | undefined {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split("/").filter(Boolean);
  const at = segments.lastIndexOf("nps");
  if (at >= 0 && at === segments.length - 2 && SCORE.test(segments[at + 1]!)) return Number(segments[at + 1]);
  const score = url.searchParams.get("score");
  if (messageType === "survey" && score !== null && SCORE.test(score)) return Number(score);
  return undefined;
}
