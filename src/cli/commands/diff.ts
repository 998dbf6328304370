import type { CommandSpec } from "../main.ts";
import { NurtureError } from "../../engine/errors.ts";

// Placeholder until this command is built; it says so plainly instead of pretending.
export const diffCommand: CommandSpec = {
  name: "diff",
  summary: "(not built yet)",
  action: async () => {
    throw new NurtureError("not-implemented", "nurture diff is not built yet");
  },
};
