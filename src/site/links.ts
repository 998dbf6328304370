/// <reference types="vite/client" />
/** Joins the site's base path (BASE_PATH at build time) and a page path, so the site works under a sub-path. */
export function href(page: string): string {
  const base = import.meta.env.BASE_URL.replace(/\/+$/, "");
  const rest = page.replace(/^\/+/, "");
  return `${base}/${rest}`;
}

export const NAV: { path: string; label: string }[] = [
  { path: "", label: "Overview" },
  { path: "activation/", label: "Activation" },
  { path: "campaigns/", label: "Campaigns" },
  { path: "nps/", label: "NPS" },
  { path: "audience/", label: "Audience" },
  { path: "emails/", label: "Emails" },
  { path: "changes/", label: "Changes" },
];
