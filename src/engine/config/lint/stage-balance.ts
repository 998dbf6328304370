import type { Stage } from "../types.ts";
import { stepType, type Finding, type LintRule } from "./_shared.ts";

/** Per stage, regular and promo steps in rough balance: neither more than twice the other. */
export const stageBalance: LintRule = {
  code: "stage-balance",
  severity: (lint) => lint.stageBalance,
  check(config) {
    const counts = new Map<Stage, { regular: number; promo: number; file: string }>();
    const campaigns = [...config.campaigns.values()].sort((a, b) => a.origin.file.localeCompare(b.origin.file));
    for (const campaign of campaigns) {
      if (!campaign.stage) continue;
      const c = counts.get(campaign.stage) ?? { regular: 0, promo: 0, file: campaign.origin.file };
      for (const step of campaign.steps) {
        const type = stepType(step, config);
        if (type === "regular" || type === "promo") c[type]++;
      }
      counts.set(campaign.stage, c);
    }
    const out: Finding[] = [];
    for (const [stage, { regular, promo, file }] of counts) {
      if (regular + promo < 2 || (regular <= 2 * promo && promo <= 2 * regular)) continue;
      const more = regular > promo ? "regular" : "promo";
      out.push({
        message: `stage "${stage}" has ${regular} regular and ${promo} promo emails; ${more} is more than twice the other`,
        file,
        pointer: "/stage",
        hint: `add ${more === "regular" ? "promo" : "regular"} emails to the ${stage} stage (or change a step's type) so the two are roughly equal`,
      });
    }
    return out;
  },
};
