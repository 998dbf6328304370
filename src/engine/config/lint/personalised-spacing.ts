import { isPersonalised, stepTemplates, type Finding, type LintRule } from "./_shared.ts";

/** At most one personalised subject in any three consecutive steps of a sequence (list order). */
export const personalisedSpacing: LintRule = {
  code: "personalised-spacing",
  severity: (lint) => lint.personalisedSpacing,
  check(config) {
    const out: Finding[] = [];
    for (const campaign of config.campaigns.values()) {
      if (campaign.kind !== "sequence") continue;
      const personal = campaign.steps.map((s) => stepTemplates(s, config).some((t) => isPersonalised(t.subject)));
      // Report each too-close pair once, at the later step: a window of three holds both.
      campaign.steps.forEach((step, j) => {
        for (const i of [j - 2, j - 1]) {
          if (i < 0 || !personal[i] || !personal[j]) continue;
          const gap = j - i;
          out.push({
            message: `steps "${campaign.steps[i]!.id}" and "${step.id}" both have personalised subjects (${gap === 1 ? "back to back" : "one step apart"}); at most one of any three consecutive emails may be`,
            file: step.origin.file,
            pointer: step.origin.pointer,
            hint: "drop {{ user.… }} from one of the two subjects; personalisation works when it is rare",
          });
          break;
        }
      });
    }
    return out;
  },
};
