/**
 * A realistic trial user for previews: every attribute the demo templates use, with
 * fixed dates so a preview renders the same today and next month.
 *
 * @example
 * renderEmail(template, { user: sampleUser(), ... })
 */
export function sampleUser(): Record<string, unknown> {
  return {
    user_id: "u_sample_0001",
    email: "alex.morgan@example.com",
    first_name: "Alex",
    plan: "trial",
    created_at: "2026-03-02T09:15:00Z",
    trial_ends_at: "2026-03-09T09:15:00Z",
    license_expires_at: "2027-03-09T00:00:00Z",
    overdue_tasks: 3,
    timezone: "Europe/Berlin",
  };
}
