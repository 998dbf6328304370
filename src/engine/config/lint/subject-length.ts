import { representativeSubject, type LintRule } from "./_shared.ts";

/** Subjects at most `max_subject_length` characters including spaces, placeholders filled in. */
export const subjectLength: LintRule = {
  code: "subject-length",
  severity: (lint) => lint.subjectLength,
  check(config) {
    const max = config.settings.lint.maxSubjectLength;
    const out = [];
    for (const template of config.templates.values()) {
      const shown = representativeSubject(template);
      const length = [...shown].length;
      if (length <= max) continue;
      const filled = shown !== template.subject;
      out.push({
        message: `subject is ${length} characters, over the limit of ${max}${filled ? ` (measured as "${shown}": placeholders replaced by their default, else a 10-character stand-in)` : ""}`,
        file: template.origin.file,
        pointer: "/subject",
        hint: `shorten it by ${length - max} character${length - max === 1 ? "" : "s"}; long subjects are cut off on phones`,
      });
    }
    return out;
  },
};
