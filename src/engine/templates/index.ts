// The templates module's public surface: render one email, preview many.
export { renderEmail, type RenderInput, type RenderedEmail } from "./render.ts";
export { sampleUser } from "./sample-user.ts";
export { writePreviews, closeMatches, type PreviewOptions, type PreviewEntry } from "./preview.ts";
export { withUtm, type UtmTags } from "./utm.ts";
export { layoutEmail, brandOf, type LayoutInput } from "./layout.ts";
