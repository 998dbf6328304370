import type { CommandSpec } from "../main.ts";
import { NurtureError } from "../../engine/errors.ts";

// Placeholder until this command is built; it says so plainly instead of pretending.
export const commitStateCommand: CommandSpec = {
  name: "commit-state",
  summary: "(not built yet)",
  action: async () => {
    throw new NurtureError("not-implemented", "nurture commit-state is not built yet");
  },
};
