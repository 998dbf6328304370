import { parseDuration } from "../duration.ts";
import { ENGAGEMENT_LEVELS, type Engagement, type Scoring, type Segment, type TagRule } from "./types.ts";
import { condition, entry } from "./_conditions.ts";
import { refer, report, type FileContext } from "./_context.ts";

type Raw = Record<string, any>;

/** Defaults when scoring.json is absent: no rules, the documented bands. */
export const DEFAULT_SCORING: Scoring = { rules: [], bands: { hot: 50, warm: 20 } };

/** Defaults when engagement.json is absent: the example levels of README.md, "The config format". */
export const DEFAULT_ENGAGEMENT: Engagement = {
  windowMs: parseDuration("90d")!,
  rules: [
    { level: "highly_engaged", when: { clicked: { gte: 3 } } },
    { level: "engaged", when: { clicked: { gte: 1 } } },
    { level: "neutral", when: { days_since_open: { lte: 30 } } },
    { level: "at_risk", when: { opened: { gte: 1 } } },
    { level: "not_engaged", when: {} },
  ],
};

/** Normalises a schema-valid scoring.json. */
export function scoring(raw: Raw, ctx: FileContext): Scoring {
  const rules = (raw.rules as Raw[]).map((r, i) => {
    const at = `/rules/${i}`;
    if ((r.event === undefined) === (r.signal === undefined)) {
      report(ctx, "scoring-rule", at, r.event === undefined ? "a scoring rule needs an event or a signal" : "a scoring rule takes an event or a signal, not both", 'write "event": "webinar.registered" or "signal": "email_unopened"');
    }
    if (r.event !== undefined) refer(ctx, "event", r.event, `${at}/event`);
    return {
      ...(r.event !== undefined ? { event: r.event } : {}),
      ...(r.signal !== undefined ? { signal: r.signal } : {}),
      ...(r.where ? { where: r.where } : {}),
      points: r.points,
      per: r.per ?? 1,
      ...(r.max_points !== undefined ? { maxPoints: r.max_points } : {}),
      ...(r.within ? { withinMs: parseDuration(r.within)! } : {}),
      origin: { file: ctx.file, pointer: at },
    };
  });
  const bands = raw.bands ?? DEFAULT_SCORING.bands;
  if (bands.hot <= bands.warm) report(ctx, "bad-range", "/bands/hot", `the hot band (${bands.hot}) must start above the warm band (${bands.warm})`);
  return { rules, ...(raw.decay ? { decayHalfLifeMs: parseDuration(raw.decay.half_life)! } : {}), bands };
}

/** Normalises a schema-valid engagement.json: all five levels once, the last a catch-all. */
export function engagement(raw: Raw, ctx: FileContext): Engagement {
  const levels = raw.levels as Raw[];
  const seen = new Set<string>();
  levels.forEach((l, i) => {
    if (seen.has(l.level)) report(ctx, "engagement-levels", `/levels/${i}/level`, `level "${l.level}" is listed twice`, "list each of the five levels exactly once");
    seen.add(l.level);
  });
  const missing = ENGAGEMENT_LEVELS.filter((l) => !seen.has(l));
  if (missing.length) report(ctx, "engagement-levels", "/levels", `levels ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing`, "list each of the five levels exactly once");
  const last = levels.at(-1)!;
  if (Object.keys(last.when).length > 0) {
    report(ctx, "engagement-levels", `/levels/${levels.length - 1}/when`, `the last level ("${last.level}") must have an empty when, so every user gets a level`, 'write "when": {}');
  }
  levels.slice(0, -1).forEach((l, i) => {
    if (Object.keys(l.when).length === 0) report(ctx, "engagement-levels", `/levels/${i}/when`, `level "${l.level}" has an empty when, so the levels after it can never match`, "only the last level may have an empty when");
  });
  return { windowMs: parseDuration(raw.window ?? "90d")!, rules: levels.map((l) => ({ level: l.level, when: l.when })) };
}

/** Normalises a schema-valid tags.json. */
export function tags(raw: Raw, ctx: FileContext): Map<string, TagRule> {
  const out = new Map<string, TagRule>();
  for (const [id, t] of Object.entries(raw.tags as Record<string, Raw>)) {
    const at = `/tags/${id}`;
    out.set(id, {
      id,
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      entry: entry(t.on, ctx, `${at}/on`),
      ...(t.condition ? { condition: condition(t.condition, ctx, `${at}/condition`) } : {}),
      origin: { file: ctx.file, pointer: at },
    });
  }
  return out;
}

/** Normalises a schema-valid `segments/<id>.json`. */
export function segment(id: string, raw: Raw, ctx: FileContext): Segment {
  return {
    id,
    name: raw.name,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    condition: condition(raw.condition, ctx, "/condition"),
    origin: { file: ctx.file, pointer: "" },
  };
}
