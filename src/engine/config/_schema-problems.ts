import type { ErrorObject } from "ajv/dist/2020.js";
import type { Problem } from "../errors.ts";
import { DURATION_PATTERN, POSITIVE_DURATION_PATTERN, SIGNED_DURATION_PATTERN } from "../duration.ts";
import { escapePointer, pointerSegments } from "./_jsonc.ts";
import { closest, didYouMean } from "./_suggest.ts";

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  [key: string]: unknown;
}

const CONDITION_FORMS =
  'write exactly one of: { "all": [...] }, { "any": [...] }, { "not": {...} }, { "event": NAME }, { "no_event": NAME, "within": "2d", "after": "signup" }, ' +
  '{ "attribute": NAME, "op": "eq", "value": ... }, { "inactive": "30d" }, { "tag": ID }, { "score": { "band": "hot" } }, { "engagement": LEVEL }, { "segment": ID }';
const ENTRY_FORMS =
  'write exactly one of: { "signup": true }, { "event": NAME }, { "no_event": NAME, "within": "2d", "after": "signup" }, { "attribute_date": NAME, "offset": "-7d" }, ' +
  '{ "inactive": "30d" }, { "tag_assigned": ID }, { "score_reached": 50 }, { "engagement_changed": LEVEL }, { "condition": {...} }';
const ANCHOR_FORMS = 'write "signup", { "event": NAME } or { "attribute": NAME }';

/** Discriminated unions end in a `false` schema when no discriminating key is present. */
const UNION_ENDS: Record<string, { what: string; hint: string; keys: string[] }> = {
  not_a_condition: {
    what: "condition",
    hint: CONDITION_FORMS,
    keys: ["all", "any", "not", "event", "no_event", "attribute", "inactive", "tag", "score", "engagement", "segment"],
  },
  not_an_entry: {
    what: "entry",
    hint: ENTRY_FORMS,
    keys: ["signup", "event", "no_event", "attribute_date", "inactive", "tag_assigned", "score_reached", "engagement_changed", "condition"],
  },
  not_an_anchor: { what: "anchor", hint: ANCHOR_FORMS, keys: ["event", "attribute"] },
};

const PATTERN_HINTS: Record<string, { what: string; hint: string }> = {
  [SIGNED_DURATION_PATTERN]: { what: "a duration", hint: "write it like 2d, 4h, 30m (units s, m, h, d, w; sums like 1d12h; a leading - means before)" },
  [DURATION_PATTERN]: {
    what: "a duration of 0 or more",
    hint: "write it like 2d, 4h, 30m (units s, m, h, d, w; sums like 1d12h); only an attribute_date offset may be negative (-7d: a week before)",
  },
  [POSITIVE_DURATION_PATTERN]: { what: "a duration longer than zero", hint: "write it like 1d, 7d, 60d (units s, m, h, d, w; sums like 1d12h), more than zero" },
  "^[a-z0-9][a-z0-9_-]*$": { what: "a valid id", hint: "use lower-case letters, digits, - and _, starting with a letter or digit" },
  "^([01]\\d|2[0-3]):[0-5]\\d$": { what: "a time of day", hint: "write it as HH:MM on a 24-hour clock, like 09:00 or 18:30" },
  "^https?://": { what: "a URL", hint: "write a full URL starting with https://" },
  // sender.from and sender.reply_to: what Resend accepts, "hello@mail.example.com" or "Name <hello@mail.example.com>".
  "^(?:[^<>\\r\\n]*<[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+>|[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+)$": {
    what: "an email address",
    hint: 'write an address like hello@mail.taskly.example, or a name and one like "Taskly <hello@mail.taskly.example>"',
  },
  "^https://": { what: "an https URL", hint: "write a full URL starting with https:// (mail providers require it for one-click unsubscribe)" },
};

const show = (v: unknown): string => (typeof v === "string" ? `"${v}"` : JSON.stringify(v));
/** The field a pointer ends in, skipping list indexes (`/caps/0/types/1` → `types`). */
const lastField = (pointer: string): string => String(pointerSegments(pointer).filter((s) => typeof s === "string").at(-1) ?? "the file");

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const seg of pointerSegments(pointer)) cur = (cur as Record<string | number, unknown> | undefined)?.[seg];
  return cur;
}

const isUnder = (path: string, parent: string): boolean => path === parent || path.startsWith(`${parent}/`);

/**
 * ajv reports every failed branch of a union and every `if` it took; keep only the errors
 * a marketer can act on. `if` errors merely echo their `then`/`else`; an `anyOf` is reduced
 * to its most specific sub-errors, or one message naming the valid forms.
 */
function prune(errors: ErrorObject[], data: unknown): ErrorObject[] {
  let kept = errors.filter((e) => e.keyword !== "if");
  // A pattern error on a property name is repeated by its `propertyNames` error.
  kept = kept.filter((e) => !(e.keyword === "pattern" && (e as { propertyName?: string }).propertyName !== undefined));
  for (const union of kept.filter((e) => e.keyword === "anyOf")) {
    if (!kept.includes(union)) continue;
    const at = union.instancePath;
    const value = valueAt(data, at);
    const others = kept.filter((e) => e !== union && isUnder(e.instancePath, at));
    const direct = others.filter((e) => e.instancePath === at && ["type", "enum", "const"].includes(e.keyword));
    if (value !== null && typeof value === "object") {
      const specific = others.filter((e) => !direct.includes(e));
      kept = kept.filter((e) => !direct.includes(e) && (specific.length === 0 || e !== union));
    } else {
      const enumError = direct.find((e) => e.keyword === "enum");
      kept = kept.filter((e) => !others.includes(e) && (enumError === undefined || e !== union));
      // The union's description names its other forms (e.g. reentry's { "cooldown": "30d" }).
      if (enumError) kept.push(Object.assign({}, enumError, { unionHint: (union.parentSchema as SchemaNode | undefined)?.description }));
    }
  }
  return kept;
}

/** Turns one ajv error into a problem with a plain message and a hint. */
function toProblem(e: ErrorObject, file: string, data: unknown): Problem {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const params = e.params as Record<string, unknown>;
  let pointer = e.instancePath;
  let message: string;
  let hint: string | undefined;
  let code = "schema";
  const value = valueAt(data, pointer);
  switch (e.keyword) {
    case "additionalProperties": {
      const field = String(params.additionalProperty);
      pointer = `${pointer}/${escapePointer(field)}`;
      const allowed = Object.keys(parent.properties ?? {});
      code = "unknown-field";
      message = `unknown field "${field}"`;
      hint = didYouMean(field, allowed) ?? (allowed.length ? `allowed fields here: ${allowed.join(", ")}` : "remove it");
      break;
    }
    case "required": {
      const field = String(params.missingProperty);
      code = "missing-field";
      message = `missing required field "${field}"`;
      const about = parent.properties?.[field]?.description;
      hint = `add "${field}"${about ? ` (${about.replace(/\.$/, "")})` : ""}`;
      break;
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      code = "bad-value";
      message = `${show(value)} is not an allowed value for ${lastField(pointer)}`;
      const guess = typeof value === "string" ? closest(value, allowed) : undefined;
      hint = `${guess ? `did you mean "${guess}"? ` : ""}allowed values: ${allowed.join(", ")}`;
      // Set by prune() when the enum is one branch of a union with other forms.
      const unionHint = (e as { unionHint?: string }).unionHint;
      if (unionHint) hint = `${hint}. ${unionHint}`;
      break;
    }
    case "const":
      message = `${lastField(pointer)} must be ${show(params.allowedValue)}`;
      hint = `write ${show(params.allowedValue)}`;
      break;
    case "pattern": {
      const known = PATTERN_HINTS[String(params.pattern)];
      code = known?.what.startsWith("a duration") ? "bad-duration" : known?.what === "a valid id" ? "bad-id" : "bad-value";
      message = `${show(value)} is not ${known?.what ?? `in the expected form (${String(params.pattern)})`}`;
      hint = known?.hint ?? parent.description;
      break;
    }
    case "propertyNames": {
      const name = String(params.propertyName);
      pointer = `${pointer}/${escapePointer(name)}`;
      code = "bad-id";
      message = `"${name}" is not a valid name here`;
      hint = parent.description?.includes("event")
        ? "use letters, digits, '.', '_', ':' and '-', like task.created"
        : "use lower-case letters, digits, - and _, starting with a letter or digit";
      break;
    }
    case "type":
      code = "wrong-type";
      message = `${lastField(pointer)} must be ${[params.type].flat().map((t) => (t === "integer" ? "a whole number" : `a ${t}`)).join(" or ")}, not ${Array.isArray(value) ? "a list" : value === null ? "null" : `a ${typeof value}`}`;
      hint = parent.description;
      break;
    case "minItems":
      message =
        lastField(pointer) === "variants"
          ? `variants needs at least ${String(params.limit)} entries`
          : `${lastField(pointer)} needs at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}`;
      code = lastField(pointer) === "variants" ? "too-few-variants" : "schema";
      hint = lastField(pointer) === "variants" ? "add another variant, or use `template` for a single email" : parent.description;
      break;
    case "minLength":
      message = `${lastField(pointer)} must not be empty`;
      hint = parent.description;
      break;
    case "minProperties":
      message = `${lastField(pointer)} must not be empty`;
      hint = parent.description;
      break;
    case "uniqueItems":
      message = `${lastField(pointer)} lists the same value twice`;
      hint = "remove the duplicate";
      break;
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
      message = `${lastField(pointer)} must be ${e.keyword === "maximum" ? "at most" : e.keyword === "minimum" ? "at least" : "more than"} ${String(params.limit)}`;
      hint = parent.description;
      break;
    case "false schema": {
      const end = Object.entries(UNION_ENDS).find(([name]) => e.schemaPath.includes(`/${name}/`))?.[1];
      code = end ? `bad-${end.what}` : "schema";
      const keys = value && typeof value === "object" && !Array.isArray(value) ? Object.keys(value) : [];
      const guess = end ? keys.map((k) => closest(k, end.keys)).find(Boolean) : undefined;
      message = end ? `not a valid ${end.what}${keys.length ? ` (fields: ${keys.join(", ")})` : ""}` : "this value is not allowed here";
      hint = end ? `${guess ? `did you mean "${guess}"? ` : ""}${end.hint}` : undefined;
      break;
    }
    case "anyOf":
      message = `${show(value)} is not a valid ${lastField(pointer)}`;
      hint = parent.description;
      break;
    default:
      message = `${lastField(pointer)} ${e.message ?? "is invalid"}`;
      hint = parent.description;
  }
  return { code, severity: "error", message, file, pointer, ...(hint ? { hint } : {}) };
}

/** ajv errors for one file → de-noised problems (file + pointer; line:column filled by the caller). */
export function schemaProblems(errors: ErrorObject[], file: string, data: unknown): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of prune(errors, data)) {
    const p = toProblem(e, file, data);
    const key = `${p.pointer}\u0000${p.message}`;
    if (!seen.has(key)) out.push(p);
    seen.add(key);
  }
  return out;
}
