/// <reference types="vite/client" />
/**
 * The site's one door into the engine. The engine's public surface is
 * `src/engine/index.ts`; while parts of it are still being written, each function is
 * looked up by name in the modules the contracts name, so the site builds with whatever
 * exists and shows an honest "not available" where a part is missing.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Config, Settings, Template } from "../engine/config/types.ts";
import type { AudienceCounts } from "./metrics/audience.ts";

/** The part of the engine's Snapshot the site reads. */
export interface SiteSnapshot {
  connection: DuckDBConnection;
  close(): void;
}

export interface RenderedEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

interface EngineApi {
  openSnapshot: (dataDir: string) => Promise<SiteSnapshot>;
  loadConfig: (dir: string) => Promise<Config>;
  audienceSnapshot: (config: Config, snapshot: SiteSnapshot, at: Date) => Promise<AudienceCounts>;
  renderEmail: (
    template: Template,
    input: { user: Record<string, unknown>; settings: Settings; campaign: string; step: string; key: string; variant?: string; unsubscribeUrl: string },
  ) => RenderedEmail;
  sampleUser: () => Record<string, unknown>;
}

// Lazy globs: a module that does not exist yet is simply absent from the map.
const modules = import.meta.glob<Record<string, unknown>>([
  "../engine/index.ts",
  "../engine/config/index.ts",
  "../engine/data/snapshot.ts",
  "../engine/evaluate/*.ts",
  "../engine/templates/render.ts",
]);

/** The first engine module exporting `name`, preferring the public index. */
async function find<K extends keyof EngineApi>(name: K): Promise<EngineApi[K] | undefined> {
  const order = Object.keys(modules).sort((a, b) => Number(b.endsWith("/index.ts")) - Number(a.endsWith("/index.ts")));
  for (const id of order) {
    const mod = await modules[id]!();
    if (typeof mod[name] === "function") return mod[name] as EngineApi[K];
  }
  return undefined;
}

/** Opens the data snapshot with the engine's loader. */
export async function openSnapshot(dataDir: string): Promise<SiteSnapshot> {
  const open = await find("openSnapshot");
  if (!open) throw new Error("the engine does not export openSnapshot");
  return open(dataDir);
}

export async function loadConfig(dir: string): Promise<Config> {
  const load = await find("loadConfig");
  if (!load) throw new Error("the engine does not export loadConfig");
  return load(dir);
}

/** The evaluator's audience counts at an instant, or undefined until the evaluator exports it. */
export const audienceSnapshot = (): Promise<EngineApi["audienceSnapshot"] | undefined> => find("audienceSnapshot");

/** The template renderer and its sample user, or undefined until they exist. */
export async function emailRenderer(): Promise<Pick<EngineApi, "renderEmail" | "sampleUser"> | undefined> {
  const [renderEmail, sampleUser] = await Promise.all([find("renderEmail"), find("sampleUser")]);
  return renderEmail && sampleUser ? { renderEmail, sampleUser } : undefined;
}
