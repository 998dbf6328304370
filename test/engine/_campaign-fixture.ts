// Hand-built campaigns over the valid fixture config, for evaluator tests: a one-step
// signup sequence `welcome` by default, changed per test with `campaign({ … })`.
import { beforeAll } from "vitest";
import type { Campaign, Config, Step } from "../../src/engine/config/types.ts";
import { loadConfig } from "../../src/engine/index.ts";

const H = 3_600_000;
export const D = 24 * H;

let base: Config;
beforeAll(async () => {
  base = await loadConfig("test/fixtures/config/valid");
});

/** The valid fixture config as loaded (its own campaigns, settings, templates). */
export const fixtureConfig = (): Config => base;

export const origin = { file: "sequences/t.json", pointer: "" };
export const step = (id: string, extra: Partial<Step> = {}): Step => ({ id, template: "welcome-1", waitMs: 0, origin, ...extra });
export function campaign(extra: Partial<Campaign> = {}): Campaign {
  return {
    id: "welcome", kind: "sequence", name: "Welcome", entry: { on: "signup" }, steps: [step("hello")],
    reentry: { policy: "never" }, priority: 0, latenessMs: D, origin, ...extra,
  };
}
/** The fixture config with exactly these campaigns. */
export const withCampaigns = (...campaigns: Campaign[]): Config => ({ ...base, campaigns: new Map(campaigns.map((c) => [c.id, c])) });
