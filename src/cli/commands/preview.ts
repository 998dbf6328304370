import type { CommandSpec } from "../main.ts";
import { NurtureError } from "../../engine/errors.ts";

// Placeholder until this command is built; it says so plainly instead of pretending.
export const previewCommand: CommandSpec = {
  name: "preview",
  summary: "(not built yet)",
  action: async () => {
    throw new NurtureError("not-implemented", "nurture preview is not built yet");
  },
};
