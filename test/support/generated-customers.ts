// Many customers at once for the customers table's browser test (100,000) and benchmark (1,000,000):
// plain INSERT … SELECT generate_series on PostgreSQL, so the rows cost the server's time only, not
// a round trip each. Deterministic: customer n has the same id, name, email and scores every time.
import { createHash } from "node:crypto";

/** Given names and surname syllables; a surname is three syllables, so about 27,000 surnames. */
const GIVEN = ["Wei", "Fang", "Li", "Ming", "Jing", "Hui", "Lei", "Yan", "Jun", "Xin", "Anna", "James", "Maria", "David", "Sofia", "Lucas", "Emma", "Noah", "Olivia", "Liam", "Chloe", "Ethan", "Grace", "Mateo", "Aisha", "Omar", "Priya", "Arjun", "Yuki", "Hana"];
const SYLLABLES = ["ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "in", "ba", "qui", "lar", "po", "zen", "ta", "mor", "el", "fu", "ro", "dan", "si", "no", "ve", "gar", "hu", "li", "ma", "tes", "yo", "wen"];

const sqlArray = (items: readonly string[]) => `ARRAY[${items.map((s) => `'${s}'`).join(",")}]`;

/** The display name customer `n` gets (null for every 50th: nameless customers exist too). */
export function generatedName(n: number): string | null {
  if (n % 50 === 0) return null;
  const s = (k: number) => SYLLABLES[k % SYLLABLES.length]!;
  const surname = s(n * 31) + s(Math.floor(n / 30) * 7 + 3) + s(Math.floor(n / 900) * 11 + 5);
  return `${GIVEN[(n * 7) % GIVEN.length]} ${surname[0]!.toUpperCase()}${surname.slice(1)}`;
}

/** Customer n's email address (an exact key staff search by). */
export const generatedEmail = (n: number) => `customer${n}@example.com`;

/**
 * SQL inserting customers `from`..`to` (inclusive): every one with an external id, an email and a
 * phone; 49 in 50 with a name; 9 in 10 with a channel identity (1 in 10 of those with a second);
 * 7 in 10 with scores (most with a predicted CLV); half with loyalty points. Creation times run
 * over three years in customer order, last-seen times after them, so every order has data.
 * Run them on one session after `SET session_replication_role = replica` (see GENERATE_FAST): the
 * rows are consistent by construction, and the per-row foreign-key checks doubled the time.
 */
export function generatedCustomersSql(from: number, to: number): string[] {
  const name = `CASE WHEN g % 50 = 0 THEN NULL ELSE (${sqlArray(GIVEN)})[1 + (g * 7) % ${GIVEN.length}] || ' ' ||
      initcap((${sqlArray(SYLLABLES)})[1 + (g * 31) % 30] || (${sqlArray(SYLLABLES)})[1 + ((g / 30) * 7 + 3) % 30] || (${sqlArray(SYLLABLES)})[1 + ((g / 900) * 11 + 5) % 30]) END`;
  const id = (prefix: string) => `md5('${prefix}' || g)::uuid`;
  const created = `timestamp '2023-01-01' + make_interval(secs => (g - ${from})::float8 / ${Math.max(to - from, 1)} * 94608000 + (g * 7919) % 3600)`;
  const series = `generate_series(${from}::bigint, ${to}::bigint) AS g`;
  return [
    `INSERT INTO "Customer" (id, "externalId", "displayName", email, phone, "createdAt", "updatedAt")
     SELECT ${id("c")}, 'gen-' || g, ${name}, 'customer' || g || '@example.com', '+86139' || lpad(g::text, 8, '0'), ${created}, ${created}
       FROM ${series}`,
    `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address, "displayName", "createdAt", "lastSeenAt")
     SELECT ${id("i")}, ${id("c")}, (ARRAY['telegram','discord','slack','web'])[1 + g % 4]::"Platform", 'gen-u' || g, 'gen-u' || g,
            CASE WHEN g % 3 = 0 THEN NULL ELSE ${name} END, ${created}, ${created} + make_interval(secs => (g * 104729) % 31536000)
       FROM ${series} WHERE g % 10 <> 0`,
    `INSERT INTO "ChannelIdentity" (id, "customerId", platform, "platformUserId", address, "displayName", "createdAt", "lastSeenAt")
     SELECT ${id("j")}, ${id("c")}, 'web'::"Platform", 'gen-w' || g, 'gen-w' || g, NULL, ${created}, ${created} + make_interval(secs => (g * 15485863) % 31536000)
       FROM ${series} WHERE g % 10 = 1`,
    `INSERT INTO "CustomerScore" (id, "customerId", "computedAt", "windowStart", "windowMonths", "orderCount", frequency, monetary,
            "rfmSegment", "lifecycleStage", "relationshipLevel", "historicClv", "predictedClv", explanation)
     SELECT ${id("s")}, ${id("c")}, timestamp '2026-12-01', timestamp '2025-12-01', 12, 1 + g % 9, g % 5, (g % 997)::numeric,
            (ARRAY['champions','loyal','at_risk','hibernating','new_customers'])[1 + g % 5],
            (ARRAY['potential','new','growing','mature','declining','churned'])[1 + g % 6]::"LifecycleStage",
            (ARRAY['basic','reactive','accountable','proactive','partnership'])[1 + g % 5]::"RelationshipLevel",
            (g % 997)::numeric, CASE WHEN g % 13 = 0 THEN NULL ELSE ((g * 7919) % 500000)::numeric / 100 END, '{}'::jsonb
       FROM ${series} WHERE g % 10 < 7`,
    `INSERT INTO "LoyaltyLedgerEntry" (id, "customerId", kind, points, reason, "createdAt")
     SELECT ${id("l")}, ${id("c")}, 'earn'::"LoyaltyEntryKind", 10 + (g * 7919) % 5000, 'generated', ${created}
       FROM ${series} WHERE g % 2 = 0`,
  ];
}

/** Skips foreign-key triggers on this session while generating (superuser only; PostgreSQL's bulk-load idiom). */
export const GENERATE_FAST = "SET session_replication_role = replica";
export const GENERATE_DONE = "SET session_replication_role = origin";

/** Tend's id of generated customer n. */
export function generatedCustomerId(n: number): string {
  // md5('c' || n)::uuid, as the SQL above.
  return md5Uuid(`c${n}`);
}

function md5Uuid(text: string): string {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
