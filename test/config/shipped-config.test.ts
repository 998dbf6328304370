import { describe, expect, it } from "vitest";
import { checkConfig, formatProblem } from "../../src/engine/index.ts";

// The demo programme is the product's showcase: it must stay clean as schemas and lint rules grow.
describe("the shipped config/", () => {
  it("validates with no errors and no warnings", async () => {
    const { config, problems } = await checkConfig("config");
    expect(problems.map(formatProblem)).toEqual([]);
    expect(config?.campaigns.size).toBeGreaterThanOrEqual(15);
  });

  it("has every behavioural trigger of the brief", async () => {
    const { config } = await checkConfig("config");
    const entries = [...(config?.campaigns.values() ?? [])].map((c) => c.entry.on);
    for (const kind of ["signup", "event", "no_event", "attribute_date", "inactive", "tag_assigned", "score_reached", "engagement_changed", "condition"]) {
      expect(entries, kind).toContain(kind);
    }
  });
});
