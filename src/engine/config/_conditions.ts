import { parseDuration } from "../duration.ts";
import type { Anchor, AttributeOp, Condition, EngagementLevel, Entry, PropertyMatch, ScoreBand } from "./types.ts";
import { refer, report, type FileContext } from "./_context.ts";

/* Raw shapes are already schema-valid when these run, so they only translate, record
   references and check what a schema cannot express (value shapes per op, min ≤ max). */

type Raw = Record<string, any>;

const ms = (text: string): number => parseDuration(text)!;
const DATE_OPS: AttributeOp[] = ["within_next", "within_last", "more_than_ago"];

/** Normalises an anchor (`"signup"`, `{ event }`, `{ attribute }`). */
export function anchor(raw: unknown, ctx: FileContext, at: string): Anchor {
  if (raw === "signup") return { kind: "signup" };
  const r = raw as Raw;
  if (r.event !== undefined) {
    refer(ctx, "event", r.event, `${at}/event`);
    return { kind: "event", event: r.event, ...(r.where ? { where: r.where as PropertyMatch } : {}) };
  }
  return { kind: "attribute", attribute: r.attribute };
}

function attribute(r: Raw, ctx: FileContext, at: string): Condition {
  const op = r.op as AttributeOp;
  const base = { kind: "attribute" as const, attribute: r.attribute as string, op };
  const value = r.value as unknown;
  if (op === "exists" || op === "not_exists") {
    if (value !== undefined) report(ctx, "bad-value", `${at}/value`, `op "${op}" takes no value`, "remove value");
    return base;
  }
  if (value === undefined) {
    report(ctx, "missing-field", at, `op "${op}" needs a value`, DATE_OPS.includes(op) ? 'add "value": "7d" (a duration)' : 'add "value"');
    return base;
  }
  if (DATE_OPS.includes(op)) {
    const duration = typeof value === "string" ? parseDuration(value) : undefined;
    if (duration === undefined) {
      report(ctx, "bad-duration", `${at}/value`, `op "${op}" takes a duration as value, not ${JSON.stringify(value)}`, "write it like 2d, 4h, 30m");
      return base;
    }
    // The op says the direction: "-1d" would turn within_next into "the day before now" and
    // more_than_ago into "any date up to a day from now".
    if (duration < 0) {
      report(ctx, "bad-duration", `${at}/value`, `op "${op}" takes a duration of 0 or more, not ${JSON.stringify(value)}`,
        op === "within_next" ? 'the op gives the direction: write "1d", or use within_last for the past' : 'the op gives the direction: write "1d", or use within_next for the future');
      return base;
    }
    return { ...base, durationMs: duration };
  }
  const isList = Array.isArray(value);
  if ((op === "in" || op === "not_in") !== isList) {
    report(ctx, "bad-value", `${at}/value`, isList ? `op "${op}" takes a single value, not a list` : `op "${op}" takes a list of values`, isList ? "use op in / not_in for a list" : 'write "value": ["a", "b"]');
  }
  return { ...base, value: value as NonNullable<Extract<Condition, { kind: "attribute" }>["value"]> };
}

/** Normalises a condition, recording the events, tags and segments it names. */
export function condition(raw: unknown, ctx: FileContext, at: string): Condition {
  const r = raw as Raw;
  if (r.all) return { kind: "all", of: (r.all as unknown[]).map((c, i) => condition(c, ctx, `${at}/all/${i}`)) };
  if (r.any) return { kind: "any", of: (r.any as unknown[]).map((c, i) => condition(c, ctx, `${at}/any/${i}`)) };
  if (r.not) return { kind: "not", of: condition(r.not, ctx, `${at}/not`) };
  if (r.event !== undefined) {
    refer(ctx, "event", r.event, `${at}/event`);
    if (r.max !== undefined && (r.min ?? 1) > r.max) report(ctx, "bad-range", `${at}/max`, `max (${r.max}) is below min (${r.min ?? 1})`, "make max at least min");
    return {
      kind: "event",
      event: r.event,
      min: r.min ?? 1,
      ...(r.max !== undefined ? { max: r.max } : {}),
      ...(r.within ? { withinMs: ms(r.within) } : {}),
      ...(r.where ? { where: r.where as PropertyMatch } : {}),
    };
  }
  if (r.no_event !== undefined) {
    refer(ctx, "event", r.no_event, `${at}/no_event`);
    return { kind: "no_event", event: r.no_event, withinMs: ms(r.within), after: anchor(r.after, ctx, `${at}/after`), ...(r.where ? { where: r.where } : {}) };
  }
  if (r.attribute !== undefined) return attribute(r, ctx, at);
  if (r.inactive !== undefined) return { kind: "inactive", forMs: ms(r.inactive) };
  if (r.tag !== undefined) {
    refer(ctx, "tag", r.tag, `${at}/tag`);
    return { kind: "tag", tag: r.tag };
  }
  if (r.score !== undefined) {
    const s = r.score as { band?: ScoreBand; gte?: number; lt?: number };
    if (s.band !== undefined && (s.gte !== undefined || s.lt !== undefined)) {
      report(ctx, "bad-value", `${at}/score`, "score takes either a band or a range (gte / lt), not both", 'write { "band": "hot" } or { "gte": 50, "lt": 80 }');
    }
    if (s.gte !== undefined && s.lt !== undefined && s.gte >= s.lt) report(ctx, "bad-range", `${at}/score/lt`, `lt (${s.lt}) must be above gte (${s.gte})`);
    return { kind: "score", ...s };
  }
  if (r.engagement !== undefined) return { kind: "engagement", levels: [r.engagement].flat() as EngagementLevel[] };
  refer(ctx, "segment", r.segment, `${at}/segment`);
  return { kind: "segment", segment: r.segment };
}

/** Normalises an entry (what starts an occurrence), recording the names it uses. */
export function entry(raw: unknown, ctx: FileContext, at: string): Entry {
  const r = raw as Raw;
  if (r.signup !== undefined) return { on: "signup" };
  if (r.event !== undefined) {
    refer(ctx, "event", r.event, `${at}/event`);
    return { on: "event", event: r.event, ...(r.where ? { where: r.where } : {}) };
  }
  if (r.no_event !== undefined) {
    refer(ctx, "event", r.no_event, `${at}/no_event`);
    return { on: "no_event", event: r.no_event, withinMs: ms(r.within), after: anchor(r.after, ctx, `${at}/after`), ...(r.where ? { where: r.where } : {}) };
  }
  if (r.attribute_date !== undefined) return { on: "attribute_date", attribute: r.attribute_date, offsetMs: r.offset ? ms(r.offset) : 0 };
  if (r.inactive !== undefined) return { on: "inactive", forMs: ms(r.inactive) };
  if (r.tag_assigned !== undefined) {
    refer(ctx, "tag", r.tag_assigned, `${at}/tag_assigned`);
    return { on: "tag_assigned", tag: r.tag_assigned };
  }
  if (r.score_reached !== undefined) return { on: "score_reached", threshold: r.score_reached };
  if (r.engagement_changed !== undefined) {
    return { on: "engagement_changed", to: r.engagement_changed, lookbackMs: r.lookback ? ms(r.lookback) : ms("1d") };
  }
  return { on: "condition", condition: condition(r.condition, ctx, `${at}/condition`) };
}
