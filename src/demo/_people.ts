/** Reference lists for the Taskly demo population: where users live and what they are called. */

/** Time zone, country and relative weight: Taskly is a Berlin company with a European base. */
export const REGIONS: readonly (readonly [{ timezone: string; country: string }, number])[] = [
  [{ timezone: "Europe/Berlin", country: "DE" }, 46],
  [{ timezone: "Europe/Vienna", country: "AT" }, 5],
  [{ timezone: "Europe/Zurich", country: "CH" }, 4],
  [{ timezone: "Europe/London", country: "GB" }, 8],
  [{ timezone: "Europe/Paris", country: "FR" }, 6],
  [{ timezone: "Europe/Amsterdam", country: "NL" }, 4],
  [{ timezone: "America/New_York", country: "US" }, 11],
  [{ timezone: "America/Los_Angeles", country: "US" }, 5],
  [{ timezone: "America/Sao_Paulo", country: "BR" }, 2],
  [{ timezone: "Asia/Tokyo", country: "JP" }, 4],
  [{ timezone: "Asia/Kolkata", country: "IN" }, 3],
  [{ timezone: "Australia/Sydney", country: "AU" }, 2],
];

export const COMPANY_SIZES: readonly (readonly [string, number])[] = [
  ["1", 30],
  ["2-10", 38],
  ["11-50", 20],
  ["51-200", 9],
  ["201+", 3],
];

export const FIRST_NAMES = [
  "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Jonas", "Katharina", "Leon", "Lena",
  "Lukas", "Marie", "Max", "Mia", "Noah", "Paul", "Sophie", "Tim", "Emma", "Oliver", "Amelia", "Jack",
  "Olivia", "Liam", "Ava", "Ethan", "Chloé", "Hugo", "Léa", "Daan", "Sanne", "Haruto", "Yui", "Sota",
  "Aarav", "Priya", "Lucas", "Beatriz", "Isla", "Mateo", "Zoë", "Jürgen", "Ines", "Tobias", "Nora", "Samir",
];

export const SURNAME_INITIALS = "abcdefghijklmnoprstvwz";

/** Marketing and docs pages people look at; the pricing A/B pages feed the pricing tags. */
export const PAGES: readonly (readonly [string, number])[] = [
  ["/features", 20],
  ["/blog/weekly-review", 12],
  ["/blog/email-to-task", 8],
  ["/integrations", 10],
  ["/templates", 12],
  ["/help/getting-started", 14],
  ["/pricing", 14],
  ["/pricing-a", 5],
  ["/pricing-b", 5],
];

export const ADDONS = ["time-tracking", "extra-storage", "guest-seats"] as const;
