import { describe, expect, it } from "vitest";
import { NurtureError } from "../../src/engine/errors.ts";
import { renderEmail, sampleUser } from "../../src/engine/templates/index.ts";
import { bodyOf, input, template, UNSUBSCRIBE } from "./fixtures.ts";

const greeting = template("Hi {{ user.first_name }}, welcome aboard.", { subject: "Welcome, {{ user.first_name }}" });

describe("renderEmail: hostile attribute values stay literal text", () => {
  it.each([
    { value: "[win](https://evil.example)", forbidden: /href="https:\/\/evil/ },
    { value: "<script>alert(1)</script>", forbidden: /<script/ },
    { value: '<img src="x" onerror="alert(1)">', forbidden: /<img/ },
    { value: "**bold** and _em_", forbidden: /<strong>|<em>/ },
    { value: "![pixel](https://evil.example/p.png)", forbidden: /<img/ },
    { value: "<https://evil.example>", forbidden: /href="https:\/\/evil/ },
    { value: "\n\n# Heading\n\n1. item", forbidden: /<h1|<ol|<li/ },
    { value: "`code`", forbidden: /<code>/ },
    { value: "javascript:alert(1)", forbidden: /href="javascript/ },
  ])("$value", ({ value, forbidden }) => {
    const email = renderEmail(greeting, input({ first_name: value }));
    const body = bodyOf(email.html);
    expect(body).not.toMatch(forbidden);
    expect(body).not.toMatch(/<a /);
    // The footer's unsubscribe link is the only link in the whole email.
    expect(email.html.match(/<a /g)).toHaveLength(1);
    // The reader sees exactly what the user typed (whitespace collapsed).
    expect(email.text).toContain(`Hi ${value.replace(/\s+/g, " ").trim()}, welcome aboard.`);
  });

  it.each(["{{ 7*7 }}", "{{ user.email }}", "{% if true %}yes{% endif %}"])("does not evaluate Liquid inside a value: %s", (value) => {
    const email = renderEmail(greeting, input({ first_name: value, email: "secret@example.com" }));
    expect(email.text).toContain(`Hi ${value},`);
    expect(email.subject).toBe(`Welcome, ${value}`);
    expect(email.text).not.toContain("secret@example.com");
    expect(email.text).not.toContain("49");
  });

  it("escapes HTML in the body but keeps the subject as plain text", () => {
    const email = renderEmail(greeting, input({ first_name: "Tom & Jerry <3" }));
    expect(email.subject).toBe("Welcome, Tom & Jerry <3");
    expect(email.html).toContain("<title>Welcome, Tom &#38; Jerry &#60;3</title>");
    expect(bodyOf(email.html)).toContain("Hi Tom &amp; Jerry &lt;3, welcome aboard.");
    expect(email.text).toContain("Hi Tom & Jerry <3, welcome aboard.");
  });
});

describe("renderEmail: subject and preheader are single plain-text lines", () => {
  it.each([
    { name: "CRLF header injection", value: "Alex\r\nBcc: victim@example.com", subject: "Welcome, Alex Bcc: victim@example.com" },
    { name: "bare LF", value: "Alex\nX-Evil: 1", subject: "Welcome, Alex X-Evil: 1" },
    { name: "NUL and DEL", value: "A\u0000l\u007fex", subject: "Welcome, A l ex" },
    { name: "Unicode line separator", value: "Alex\u2028Bcc: x", subject: "Welcome, Alex Bcc: x" },
    { name: "tabs and runs of spaces", value: "  Alex\t\tMorgan  ", subject: "Welcome, Alex Morgan" },
  ])("$name", ({ value, subject }) => {
    const email = renderEmail(template("Hi", { subject: "Welcome, {{ user.first_name }}", preheader: "For {{ user.first_name }}" }), input({ first_name: value }));
    expect(email.subject).toBe(subject);
    expect(email.subject).not.toMatch(/[\r\n\u0000-\u001f\u007f\u2028]/);
    expect(email.preheader).not.toMatch(/[\r\n\u0000-\u001f\u007f\u2028]/);
  });

  it("renders subject and preheader from front matter, with template variables", () => {
    const t = template("Body", { subject: "{{ user.first_name }}, try {{ feature }}", preheader: "Your {{ user.plan }} plan", variables: { feature: "Boards" } });
    const email = renderEmail(t, input({ first_name: "Alex", plan: "trial" }));
    expect(email.subject).toBe("Alex, try Boards");
    expect(email.preheader).toBe("Your trial plan");
    // Hidden preheader right after <body>, before any visible content.
    expect(email.html).toMatch(/<div style="display:none[^"]*">Your trial plan/);
  });

  it("gives an empty preheader when the template has none", () => {
    expect(renderEmail(template("Body"), input({})).preheader).toBe("");
  });
});

describe("renderEmail: missing values", () => {
  const t = template("Hi {{ user.first_name | default: 'there' }}, plan [{{ user.plan }}], label [{{ cta_label }}]", {
    subject: "Hi {{ user.first_name | default: 'there' }}{{ user.nickname }}",
    variables: { cta_label: "Start now" },
  });

  it.each([
    { name: "absent", user: {} },
    { name: "null", user: { first_name: null, plan: null } },
    { name: "undefined", user: { first_name: undefined, plan: undefined } },
    { name: "empty string", user: { first_name: "", plan: "" } },
  ])("$name attributes use the default or render empty", ({ user }) => {
    const email = renderEmail(t, input(user));
    expect(email.subject).toBe("Hi there");
    expect(email.text).toContain("Hi there, plan [], label [Start now]");
    expect(email.html + email.text).not.toMatch(/undefined|null|\[object/);
  });

  it("renders a present attribute instead of the default", () => {
    expect(renderEmail(t, input({ first_name: "Alex", plan: "pro" })).text).toContain("Hi Alex, plan [pro], label [Start now]");
  });
});

describe("renderEmail: plain-text part", () => {
  const t = template(
    "## Your week\n\nHi {{ user.first_name }}, here is what's new:\n\n* Boards & lists\n* [Calendar view](https://app.taskly.example/calendar)\n\n1. Open the app\n2. Press **New**\n\n[Unsubscribe]({{ unsubscribe_url }}) · [Mail us](mailto:support@taskly.example)",
  );
  const email = renderEmail(t, input({ first_name: "Zoë" }));

  it("has no tags and no entities", () => {
    expect(email.text).not.toMatch(/<[a-z/][^>]*>/i);
    expect(email.text).not.toMatch(/&(#\d+|[a-z]+);/i);
    expect(email.text).toContain("Boards & lists");
  });

  it("shows links as text (url), headings and list items", () => {
    expect(email.text).toContain("Calendar view (https://app.taskly.example/calendar?utm_source=nurture&utm_medium=email&utm_campaign=welcome&utm_content=day-1)");
    expect(email.text).toMatch(/^YOUR WEEK$/m);
    expect(email.text).toMatch(/^ \* Boards & lists$/m);
    expect(email.text).toMatch(/^ 2\. Press New$/m);
    expect(email.text).toContain("Hi Zoë, here is what's new:");
  });

  it("leaves the unsubscribe and mailto links untouched", () => {
    expect(email.html).toContain(`href="${UNSUBSCRIBE}"`);
    expect(email.html).toContain('href="mailto:support@taskly.example"');
    expect(email.html).not.toMatch(/token=t0k3n&amp;utm_|mailto:[^"]*utm_/);
  });
});

describe("renderEmail: footer by message type", () => {
  it.each(["regular", "promo", "trigger", "survey"] as const)("%s mail has a visible unsubscribe link and the postal address", (type) => {
    const email = renderEmail(template("Body", { type }), input({}));
    expect(email.html).toMatch(new RegExp(`<a href="${UNSUBSCRIBE.replace(/[?.]/g, "\\$&")}"[^>]*>Unsubscribe</a>`));
    expect(email.html).toContain("Taskly Inc., 500 Market St, San Francisco, CA 94105");
    expect(email.text).toContain(`Unsubscribe: ${UNSUBSCRIBE}`);
    expect(email.text).toContain("Taskly Inc., 500 Market St");
  });

  it("service mail says why it is sent and has no marketing unsubscribe", () => {
    const email = renderEmail(template("Body", { type: "service" }), input({}));
    expect(email.html).toContain("This is a service email about your Taskly account");
    expect(email.html).toContain("Taskly Inc., 500 Market St, San Francisco, CA 94105");
    expect(email.html + email.text).not.toContain(UNSUBSCRIBE);
    expect(email.html).not.toMatch(/>Unsubscribe</);
  });
});

describe("renderEmail: layout and determinism", () => {
  it("inlines the layout CSS and keeps the mobile media query", () => {
    const email = renderEmail(template("Hello"), input({}));
    expect(email.html).toMatch(/<td class="content" style="[^"]*padding/);
    expect(email.html).toContain("@media only screen and (max-width: 620px)");
    expect(email.html).toContain('<meta name="viewport"');
  });

  it("renders the same bytes twice", () => {
    const t = template("Hi {{ user.first_name }}: [go](https://x.example)", { subject: "S {{ user.plan }}" });
    expect(renderEmail(t, input(sampleUser()))).toEqual(renderEmail(t, input(sampleUser())));
  });

  it.each([
    { timezone: "Europe/Berlin", day: "10 March 2027" },
    { timezone: "America/New_York", day: "9 March 2027" },
    { timezone: "Not/AZone", day: "10 March 2027" }, // falls back to settings.timezone (Berlin)
    { timezone: undefined, day: "10 March 2027" },
  ])("formats dates in the user's zone ($timezone)", ({ timezone, day }) => {
    const t = template("Expires {{ user.license_expires_at | date: '%-d %B %Y' }}.");
    const email = renderEmail(t, input({ license_expires_at: "2027-03-09T23:30:00Z", timezone }));
    expect(email.text).toContain(`Expires ${day}.`);
  });

  it("turns a broken template into a NurtureError naming the file", () => {
    const t = template("Hi {{ user.first_name | no_such_filter }}");
    const error = (() => {
      try {
        renderEmail(t, input({}));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NurtureError);
    expect((error as NurtureError).code).toBe("template-render");
    expect((error as NurtureError).problems[0]).toMatchObject({ file: "templates/t.md", code: "template-render" });
  });
});

describe("sampleUser", () => {
  it("has every attribute previews use, with a valid time zone and dates", () => {
    const user = sampleUser();
    for (const key of ["user_id", "email", "first_name", "plan", "created_at", "trial_ends_at", "license_expires_at", "overdue_tasks", "timezone"]) {
      expect(user[key], key).not.toBeUndefined();
    }
    for (const key of ["created_at", "trial_ends_at", "license_expires_at"]) expect(Number.isNaN(Date.parse(String(user[key]))), key).toBe(false);
    expect(() => new Intl.DateTimeFormat("en", { timeZone: String(user.timezone) })).not.toThrow();
  });
});
