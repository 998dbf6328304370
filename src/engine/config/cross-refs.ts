import type { Problem } from "../errors.ts";
import type { Reference } from "./_context.ts";
import { didYouMean } from "./_suggest.ts";

/** Email events every config may name, besides settings.events. */
export const EMAIL_EVENTS = [
  "email.sent",
  "email.delivered",
  "email.opened",
  "email.clicked",
  "email.bounced",
  "email.complained",
  "unsubscribed",
  "nps.answered",
] as const;

/** The names that exist; a kind left undefined could not be read and is not checked (no cascades). */
export interface KnownNames {
  events?: Set<string>;
  tags?: Set<string>;
  segments: Set<string>;
  templates: Set<string>;
}

const WHERE: Record<Reference["kind"], string> = {
  event: "settings.json events (or an email event)",
  tag: "tags.json",
  segment: "segments/",
  template: "templates/",
};

const ADD: Record<Reference["kind"], (name: string) => string> = {
  event: (n) => `add "${n}" with a description to events in settings.json`,
  tag: (n) => `define "${n}" in tags.json`,
  segment: (n) => `create segments/${n}.json`,
  template: (n) => `create templates/${n}.md`,
};

/** Every reference to a name that does not exist, with a did-you-mean hint. */
export function unresolved(refs: Reference[], known: KnownNames): Problem[] {
  const sets: Record<Reference["kind"], Set<string> | undefined> = {
    event: known.events,
    tag: known.tags,
    segment: known.segments,
    template: known.templates,
  };
  const problems: Problem[] = [];
  for (const ref of refs) {
    const names = sets[ref.kind];
    if (!names || names.has(ref.name)) continue;
    problems.push({
      code: `unknown-${ref.kind}`,
      severity: "error",
      message: `unknown ${ref.kind} "${ref.name}" (not in ${WHERE[ref.kind]})`,
      file: ref.file,
      pointer: ref.pointer,
      hint: didYouMean(ref.name, names) ?? ADD[ref.kind](ref.name),
    });
  }
  return problems;
}

/** Segments that (indirectly) include themselves: one problem per cycle, at its first segment. */
export function segmentCycles(refs: Reference[]): Problem[] {
  const edges = new Map<string, Reference[]>();
  for (const ref of refs) {
    const from = /^segments\/(.+)\.json$/.exec(ref.file)?.[1];
    if (ref.kind === "segment" && from) edges.set(from, [...(edges.get(from) ?? []), ref]);
  }
  const problems: Problem[] = [];
  const done = new Set<string>();
  const reported = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    if (path.includes(id)) {
      const cycle = [...path.slice(path.indexOf(id)), id];
      const key = [...cycle.slice(0, -1)].sort().join(",");
      if (reported.has(key)) return;
      reported.add(key);
      const ref = edges.get(cycle[0]!)!.find((r) => r.name === cycle[1])!;
      problems.push({
        code: "segment-cycle",
        severity: "error",
        message: `segments refer to each other in a cycle: ${cycle.join(" → ")}`,
        file: ref.file,
        pointer: ref.pointer,
        hint: "a segment cannot include itself; write the shared part out in one of them",
      });
      return;
    }
    if (done.has(id)) return;
    for (const ref of edges.get(id) ?? []) visit(ref.name, [...path, id]);
    done.add(id);
  };
  for (const id of [...edges.keys()].sort()) visit(id, []);
  return problems;
}
