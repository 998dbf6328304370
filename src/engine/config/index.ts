// The config module's public surface: load and check the config directory.
export { checkConfig, loadConfig, displayPaths, type CheckResult } from "./check.ts";
export { parseTemplate, KNOWN_PLACEHOLDERS } from "./templates.ts";
export { EMAIL_EVENTS } from "./cross-refs.ts";
export { LINT_RULES } from "./lint/index.ts";
export { representativeSubject, isPersonalised } from "./lint/_shared.ts";
export { isTimeZone } from "./_settings.ts";
export * from "./types.ts";
