import { DAY_MS } from "../../duration.ts";
import type { Step } from "../types.ts";
import { stepTemplates, type Finding, type LintRule } from "./_shared.ts";

/** Format changes (a new template format, or any contest) at least N days apart in a sequence. */
export const formatChanges: LintRule = {
  code: "format-changes",
  severity: (lint) => lint.formatChanges,
  check(config) {
    const minDays = config.settings.lint.minDaysBetweenFormatChanges;
    const out: Finding[] = [];
    for (const campaign of config.campaigns.values()) {
      if (campaign.kind !== "sequence") continue;
      let day = 0;
      let lastFormat: string | undefined;
      let lastChange: { step: Step; day: number } | undefined;
      for (const step of campaign.steps) {
        // List order with summed waits: branches make this approximate, which is fine for a lint.
        day += step.waitMs / DAY_MS;
        const format = stepTemplates(step, config)[0]?.format;
        if (format === undefined) continue;
        const change = format === "contest" || (lastFormat !== undefined && format !== lastFormat);
        lastFormat = format;
        if (!change) continue;
        if (lastChange && day - lastChange.day < minDays) {
          const gap = Math.round((day - lastChange.day) * 10) / 10;
          out.push({
            message: `format changes at steps "${lastChange.step.id}" and "${step.id}" are ${gap} days apart (minimum ${minDays})`,
            file: step.origin.file,
            pointer: step.origin.pointer,
            hint: `keep one format, or space the changes at least ${minDays} days apart`,
          });
        }
        lastChange = { step, day };
      }
    }
    return out;
  },
};
