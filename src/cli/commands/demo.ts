import type { CommandSpec } from "../main.ts";
import { NurtureError } from "../../engine/errors.ts";

// Placeholder until this command is built; it says so plainly instead of pretending.
export const demoCommand: CommandSpec = {
  name: "demo",
  summary: "(not built yet)",
  action: async () => {
    throw new NurtureError("not-implemented", "nurture demo is not built yet");
  },
};
