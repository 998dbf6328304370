import { escapeHtml } from "./_escape.ts";

/** One rendered preview, as listed in index.html and printed by `--json`. */
export interface PreviewEntry {
  template: string;
  type: string;
  campaign: string;
  step: string;
  subject: string;
  preheader: string;
  /** File names relative to the preview directory. */
  html: string;
  text: string;
}

/** A plain page listing every preview with its subject and preheader, readable without JavaScript. */
export function previewIndexHtml(entries: PreviewEntry[], userLabel: string): string {
  const rows = entries
    .map(
      (e) => `<tr>
<td><a href="${escapeHtml(e.html)}">${escapeHtml(e.template)}</a><br><a class="muted" href="${escapeHtml(e.text)}">text</a></td>
<td>${escapeHtml(e.type)}</td>
<td>${escapeHtml(e.campaign)} / ${escapeHtml(e.step)}</td>
<td><strong>${escapeHtml(e.subject)}</strong><br><span class="muted">${escapeHtml(e.preheader)}</span></td>
</tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nurture email previews</title>
<style>
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 2rem; color: #1f2328; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .5rem .75rem; border-bottom: 1px solid #d0d7de; }
.muted { color: #6e7781; font-size: .9em; }
</style>
</head>
<body>
<h1>Email previews</h1>
<p class="muted">${entries.length} template${entries.length === 1 ? "" : "s"}, rendered for ${escapeHtml(userLabel)}.</p>
<table>
<thead><tr><th>Template</th><th>Type</th><th>Campaign / step</th><th>Subject and preheader</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
