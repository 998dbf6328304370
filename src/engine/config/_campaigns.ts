import { parseDuration } from "../duration.ts";
import type { Campaign, Goal, Reentry, Step, Variant } from "./types.ts";
import { condition, entry } from "./_conditions.ts";
import { refer, report, type FileContext } from "./_context.ts";

type Raw = Record<string, any>;

/** Settings values campaigns inherit when they do not set their own. */
export interface CampaignDefaults {
  latenessMs: number;
  attributionMs: number;
}

const ms = (text: string): number => parseDuration(text)!;

function reentry(raw: unknown): Reentry {
  if (raw === "always") return { policy: "always" };
  if (raw && typeof raw === "object") return { policy: "cooldown", cooldownMs: ms((raw as Raw).cooldown) };
  return { policy: "never" };
}

function variants(raw: Raw[], ctx: FileContext, at: string): Variant[] {
  const seen = new Set<string>();
  return raw.map((v, i) => {
    if (seen.has(v.id)) report(ctx, "duplicate-id", `${at}/${i}/id`, `variant id "${v.id}" is used twice in this step`, "give each variant its own id");
    seen.add(v.id);
    refer(ctx, "template", v.template, `${at}/${i}/template`);
    return { id: v.id, template: v.template, weight: v.weight ?? 1 };
  });
}

/** One step: exactly one of template / variants; references recorded. */
function step(raw: Raw, ctx: FileContext, at: string, previous: string | undefined): Step {
  if ((raw.template === undefined) === (raw.variants === undefined)) {
    report(
      ctx,
      "step-template",
      at,
      raw.template === undefined ? `step "${raw.id}" has neither template nor variants` : `step "${raw.id}" has both template and variants`,
      'give either "template": "<template id>" or "variants": [ … ] (two or more)',
    );
  }
  if (raw.template !== undefined) refer(ctx, "template", raw.template, `${at}/template`);
  const after: string | undefined = raw.after ?? previous;
  return {
    id: raw.id,
    ...(raw.template !== undefined ? { template: raw.template } : {}),
    ...(raw.variants !== undefined ? { variants: variants(raw.variants, ctx, `${at}/variants`) } : {}),
    ...(after !== undefined ? { after } : {}),
    waitMs: raw.wait ? ms(raw.wait) : 0,
    ...(raw.when ? { when: raw.when } : {}),
    ...(raw.type ? { type: raw.type } : {}),
    origin: { file: ctx.file, pointer: at },
  };
}

/** Steps of a sequence (or multi-step trigger), with step-graph checks. */
function steps(raw: Raw[], ctx: FileContext, at: string): Step[] {
  const earlier = new Set<string>();
  const all = new Set(raw.map((s) => s.id as string));
  const out: Step[] = [];
  raw.forEach((r, i) => {
    const here = `${at}/${i}`;
    if (earlier.has(r.id)) report(ctx, "duplicate-step", `${here}/id`, `step id "${r.id}" is used twice`, "give each step its own id");
    if (r.after !== undefined && !earlier.has(r.after)) {
      const why = all.has(r.after) ? `names step "${r.after}", which does not come before it` : `names unknown step "${r.after}"`;
      report(ctx, "unknown-step", `${here}/after`, `after ${why}`, `after must name an earlier step: ${[...earlier].join(", ") || "(none: this is the first step)"}`);
    }
    if (r.when !== undefined && i === 0 && r.after === undefined) {
      report(ctx, "branch-without-after", `${here}/when`, `the first step branches on "${r.when}" but follows no email`, 'remove "when", or add "after": "<an earlier step>"');
    }
    out.push(step(r, ctx, here, i === 0 ? undefined : raw[i - 1].id));
    earlier.add(r.id);
  });
  return out;
}

function goal(raw: Raw | undefined, ctx: FileContext, defaults: CampaignDefaults): Goal | undefined {
  if (!raw) return undefined;
  refer(ctx, "event", raw.event, "/goal/event");
  return { event: raw.event, ...(raw.where ? { where: raw.where } : {}), attributionMs: raw.attribution_window ? ms(raw.attribution_window) : defaults.attributionMs };
}

/** The fields sequences and triggers share. */
function common(id: string, kind: Campaign["kind"], raw: Raw, ctx: FileContext, defaults: CampaignDefaults, entryKey: "entry" | "on") {
  const g = goal(raw.goal, ctx, defaults);
  return {
    id,
    kind,
    name: raw.name as string,
    ...(raw.description !== undefined ? { description: raw.description as string } : {}),
    ...(raw.stage !== undefined ? { stage: raw.stage } : {}),
    entry: entry(raw[entryKey], ctx, `/${entryKey}`),
    ...(raw.audience ? { audience: condition(raw.audience, ctx, "/audience") } : {}),
    ...(g ? { goal: g } : {}),
    ...(raw.exit ? { exit: condition(raw.exit, ctx, "/exit") } : {}),
    reentry: reentry(raw.reentry),
    priority: (raw.priority as number | undefined) ?? 0,
    latenessMs: raw.lateness ? ms(raw.lateness) : defaults.latenessMs,
    origin: { file: ctx.file, pointer: "" },
  };
}

/** Normalises a schema-valid `sequences/<id>.json`. */
export function sequence(id: string, raw: Raw, ctx: FileContext, defaults: CampaignDefaults): Campaign {
  return { ...common(id, "sequence", raw, ctx, defaults, "entry"), steps: steps(raw.steps, ctx, "/steps") };
}

/** Normalises a schema-valid `triggers/<id>.json`; a single email becomes the step `send`. */
export function trigger(id: string, raw: Raw, ctx: FileContext, defaults: CampaignDefaults): Campaign {
  const given = (["template", "variants", "steps"] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1) {
    report(
      ctx,
      "trigger-template",
      given.length ? `/${given[1]}` : "",
      given.length ? `a trigger takes exactly one of template, variants or steps, not ${given.join(" and ")}` : "a trigger needs template, variants or steps",
      'give "template": "<template id>" for a single email',
    );
  }
  let list: Step[];
  if (raw.steps !== undefined && given.length === 1) {
    for (const k of ["wait", "type"] as const) {
      if (raw[k] !== undefined) report(ctx, "bad-value", `/${k}`, `${k} applies only to a single-email trigger; with steps, set it on each step`, `move "${k}" into the steps`);
    }
    list = steps(raw.steps, ctx, "/steps");
  } else if (given.length === 1) {
    const single = { id: "send", template: raw.template, variants: raw.variants, wait: raw.wait, type: raw.type };
    // The single step's pieces sit at the top level of the file, hence the empty base pointer.
    list = [step(single, ctx, "", undefined)];
  } else {
    list = [];
  }
  return { ...common(id, "trigger", raw, ctx, defaults, "on"), steps: list };
}
