import type { CommandSpec } from "../main.ts";
import { NurtureError } from "../../engine/errors.ts";

// Placeholder until this command is built; it says so plainly instead of pretending.
export const runCommand: CommandSpec = {
  name: "run",
  summary: "(not built yet)",
  action: async () => {
    throw new NurtureError("not-implemented", "nurture run is not built yet");
  },
};
