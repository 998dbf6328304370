import fs from "node:fs/promises";
import path from "node:path";
import { NurtureError, type Problem } from "../errors.ts";
import type { Campaign, Config, Engagement, Scoring, Segment, Settings, TagRule, Template } from "./types.ts";
import { parseJson, type Position } from "./_jsonc.ts";
import { schemaErrors } from "./_schemas.ts";
import { schemaProblems } from "./_schema-problems.ts";
import { readConfigFiles, type ConfigFile } from "./_files.ts";
import type { FileContext, Reference } from "./_context.ts";
import { settings as normaliseSettings, DEFAULT_LINT } from "./_settings.ts";
import { DEFAULT_ENGAGEMENT, DEFAULT_SCORING, engagement, scoring, segment, tags } from "./_programme.ts";
import { sequence, trigger, type CampaignDefaults } from "./_campaigns.ts";
import { parseTemplate } from "./templates.ts";
import { EMAIL_EVENTS, segmentCycles, unresolved } from "./cross-refs.ts";
import { lint } from "./lint/index.ts";

/** Everything `checkConfig` found: the config when there is no error, and every problem. */
export interface CheckResult {
  config?: Config;
  problems: Problem[];
}

const ID = /^[a-z0-9][a-z0-9_-]*$/;

/** What has been read so far; parts stay undefined when their file is missing or broken. */
interface Parts {
  settings?: Settings;
  settingsBroken: boolean;
  scoring?: Scoring;
  engagement?: Engagement;
  tags?: Map<string, TagRule>;
  tagsBroken: boolean;
  segments: Map<string, Segment>;
  campaigns: Map<string, Campaign>;
  templates: Map<string, Template>;
}

/** Parses and schema-checks one JSON file; returns its raw value when valid. */
function readJson(f: ConfigFile, problems: Problem[], locators: Map<string, (p: string, key?: boolean) => Position>): Record<string, unknown> | undefined {
  const parsed = parseJson(f.text, f.file);
  problems.push(...parsed.problems);
  if (!parsed.json) return undefined;
  locators.set(f.file, parsed.json.locate);
  const found = schemaProblems(schemaErrors(f.kind, parsed.json.value), f.file, parsed.json.value);
  problems.push(...found);
  return found.length === 0 ? (parsed.json.value as Record<string, unknown>) : undefined;
}

/** Normalises the files in dependency order (settings first: campaigns inherit its defaults). */
function normalise(files: ConfigFile[], problems: Problem[], refs: Reference[], locators: Map<string, (p: string, key?: boolean) => Position>): Parts {
  const parts: Parts = { settingsBroken: false, tagsBroken: false, segments: new Map(), campaigns: new Map(), templates: new Map() };
  const order = ["settings", "scoring", "engagement", "tags", "segment", "template", "sequence", "trigger"];
  const sorted = [...files].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  for (const f of sorted) {
    if (f.kind !== "settings" && !["scoring", "engagement", "tags"].includes(f.kind) && !ID.test(f.id)) {
      problems.push({ code: "bad-id", severity: "error", message: `file name "${f.id}" is not a valid id`, file: f.file, hint: "rename the file: lower-case letters, digits, - and _, starting with a letter or digit" });
      continue;
    }
    if (f.kind === "template") {
      const result = parseTemplate(f.id, f.text, f.file);
      problems.push(...result.problems);
      const lineOf = result.lineOf;
      if (lineOf) locators.set(f.file, (pointer) => ({ line: lineOf(pointer), column: 1 }));
      if (result.template) parts.templates.set(f.id, result.template);
      continue;
    }
    const raw = readJson(f, problems, locators);
    if (!raw) {
      if (f.kind === "settings") parts.settingsBroken = true;
      if (f.kind === "tags") parts.tagsBroken = true;
      continue;
    }
    const ctx: FileContext = { file: f.file, problems, refs };
    const defaults: CampaignDefaults = { latenessMs: parts.settings?.latenessMs ?? 86_400_000, attributionMs: parts.settings?.attributionMs ?? 7 * 86_400_000 };
    if (f.kind === "settings") parts.settings = normaliseSettings(raw, ctx);
    else if (f.kind === "scoring") parts.scoring = scoring(raw, ctx);
    else if (f.kind === "engagement") parts.engagement = engagement(raw, ctx);
    else if (f.kind === "tags") parts.tags = tags(raw, ctx);
    else if (f.kind === "segment") parts.segments.set(f.id, segment(f.id, raw, ctx));
    else {
      const campaign = f.kind === "sequence" ? sequence(f.id, raw, ctx, defaults) : trigger(f.id, raw, ctx, defaults);
      const clash = parts.campaigns.get(f.id);
      if (clash) {
        problems.push({ code: "duplicate-campaign", severity: "error", message: `campaign id "${f.id}" is used by ${clash.origin.file} too`, file: f.file, pointer: "", hint: "sequences and triggers share one id space: rename one file" });
      } else parts.campaigns.set(f.id, campaign);
    }
  }
  return parts;
}

/** Settings good enough for linting when settings.json itself is broken or missing. */
const LINT_ONLY_SETTINGS = { lint: DEFAULT_LINT, events: {} } as unknown as Settings;

/**
 * Reads, validates and normalises the config directory, returning every problem found:
 * JSON and YAML syntax, schema violations, cross-references and lint rules (at their
 * configured severity). `config` is present only when no problem is an error. Problem
 * files are relative to `dir`.
 *
 * @example
 * const { config, problems } = await checkConfig("config");
 */
export async function checkConfig(dir: string): Promise<CheckResult> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    const message = stat ? `${dir} is a file, not the config directory` : `config directory ${dir} does not exist`;
    return { problems: [{ code: "config-not-found", severity: "error", message, hint: "pass --config DIR pointing at the folder with settings.json" }] };
  }
  const { files, problems } = await readConfigFiles(root);
  if (!files.some((f) => f.kind === "settings")) {
    problems.push({ code: "missing-file", severity: "error", message: "settings.json is missing", file: "settings.json", hint: "create settings.json (see the section \"The config format\" in README.md)" });
  }
  const refs: Reference[] = [];
  const locators = new Map<string, (p: string, key?: boolean) => Position>();
  const parts = normalise(files, problems, refs, locators);

  const fileIds = (kind: ConfigFile["kind"]) => new Set(files.filter((f) => f.kind === kind).map((f) => f.id));
  problems.push(
    ...unresolved(refs, {
      ...(parts.settings ? { events: new Set([...Object.keys(parts.settings.events), ...EMAIL_EVENTS]) } : {}),
      ...(parts.tagsBroken ? {} : { tags: new Set(parts.tags?.keys() ?? []) }),
      segments: fileIds("segment"),
      templates: fileIds("template"),
    }),
    ...segmentCycles(refs),
  );

  const config: Config = {
    dir: root,
    settings: parts.settings ?? LINT_ONLY_SETTINGS,
    segments: parts.segments,
    campaigns: parts.campaigns,
    tags: parts.tags ?? new Map(),
    scoring: parts.scoring ?? DEFAULT_SCORING,
    engagement: parts.engagement ?? DEFAULT_ENGAGEMENT,
    templates: parts.templates,
  };
  problems.push(...lint(config));

  for (const p of problems) {
    const locate = p.file ? locators.get(p.file) : undefined;
    if (locate && p.line === undefined && p.pointer !== undefined) Object.assign(p, locate(p.pointer, p.code === "unknown-field" || p.code === "bad-id"));
  }
  problems.sort((a, b) => (a.file ?? "").localeCompare(b.file ?? "") || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const ok = !problems.some((p) => p.severity === "error");
  return ok ? { config, problems } : { problems };
}

/** Rewrites problem files from config-relative to relative to the working directory (`config/sequences/x.json`). */
export function displayPaths(problems: Problem[], dir: string): Problem[] {
  return problems.map((p) => (p.file ? { ...p, file: path.relative(process.cwd(), path.resolve(dir, p.file)).split(path.sep).join("/") } : p));
}

/**
 * Loads the config for the commands that act on it. Warnings are ignored here
 * (`nurture validate` shows them); any error throws NurtureError `invalid-config` (exit 1)
 * carrying every problem, with paths as the user typed them.
 */
export async function loadConfig(dir: string): Promise<Config> {
  const { config, problems } = await checkConfig(dir);
  if (config) return config;
  const errors = problems.filter((p) => p.severity === "error");
  throw new NurtureError("invalid-config", `the config in ${dir} has ${errors.length} error${errors.length === 1 ? "" : "s"}; run nurture validate for details`, {
    exitCode: 1,
    problems: displayPaths(errors, dir),
  });
}
