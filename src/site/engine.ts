/**
 * The site's one door into the engine: everything the site uses from the engine comes
 * through here, and only from the engine's public surface (`src/engine/index.ts`).
 */
export {
  audienceSnapshot, loadConfig, openSnapshot, renderEmail, sampleUser, whereSql, type AudienceCounts, type PropertyMatch, type Snapshot,
} from "../engine/index.ts";
