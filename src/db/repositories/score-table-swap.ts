import { TendError } from "../../errors.ts";
import { numberArrayLiteral, textArrayLiteral } from "../sql-array-literal.ts";
import type { RefreshSql } from "./analytics-pages.ts";
import type { ScoreRow } from "./analytics-repository.ts";

/**
 * The analytics refresh writes every customer's score into a new table (prepareNextScores,
 * writeScores) and puts it in place of CustomerScore at the end (publishNextScores), instead of
 * replacing rows one by one in the table readers use.
 *
 * Why: a row written into a table with its indexes and foreign keys costs one insertion per index
 * and one key check per foreign key; the same rows written into a bare table, with the indexes
 * built afterwards by sorting, cost about a third of that at a million customers (BENCHMARKS.md,
 * analytics refresh). Replacing rows in place also left a dead version of every row behind at each
 * refresh, and readers saw a mixture of old and new scores while it ran; now they see the last
 * finished refresh until the next one is published, at once.
 *
 * The new table copies CustomerScore's columns; its indexes and constraints are read from the
 * catalog when it is published (so a migration that adds an index to CustomerScore needs nothing
 * here) and get the names the migrations gave them, so the database stays as the migrations
 * describe it. Everything runs through the refresh's own lane, on PGlite and PostgreSQL alike.
 */
const LIVE = `"CustomerScore"`;
const NEXT_NAME = "CustomerScore_next";
const NEXT = `"${NEXT_NAME}"`;
const OLD_NAME = "CustomerScore_old";
const OLD = `"${OLD_NAME}"`;

/** How long the swap waits for readers' locks before it gives up and tries again (it must not queue every reader behind it). */
const LOCK_TIMEOUT = "5s";
const SWAP_ATTEMPTS = 6;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Makes the empty table a refresh writes into (and removes what a refresh that died left behind). */
export async function prepareNextScores(db: RefreshSql): Promise<void> {
  // Said before the refresh spends its time, and again before the swap (a migration may run meanwhile).
  await refuseWhatCannotMove(db);
  await db.query(`DROP TABLE IF EXISTS ${OLD}`, []);
  await db.query(`DROP TABLE IF EXISTS ${NEXT}`, []);
  // Columns, defaults, NOT NULL and CHECK constraints; no indexes or keys yet (publishNextScores builds them).
  await db.query(`CREATE TABLE ${NEXT} (LIKE ${LIVE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE)`, []);
}

/** Drops the new table of a refresh that failed (the live table is untouched). */
export async function discardNextScores(db: RefreshSql): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${NEXT}`, []);
}

/**
 * Writes the customers' scores into the refresh's new score table in one
 * statement: the rows travel as one array per column, unpacked side by side by `unnest` (each array
 * is parsed once by the server, no JSON document to take apart row by row), amounts as whole cents
 * and times as epoch milliseconds, made decimals and UTC `timestamp`s by the server (it has a core
 * to spare while the refresh scores; formatting them here cost the refresh's own). The row carries
 * the customer's stage in the live table as previousLifecycleStage (null for a customer the last
 * refresh did not score), and keeps that row's id.
 */
export async function writeScores(db: RefreshSql, runId: string, computedAt: Date, rows: readonly ScoreRow[]): Promise<void> {
  if (rows.length === 0) return;
  const numbers = (value: (r: ScoreRow) => number | null) => numberArrayLiteral(rows.map(value));
  const text = (value: (r: ScoreRow) => string | null) => textArrayLiteral(rows.map(value));
  await db.query(
    `INSERT INTO ${NEXT} (
       "id", "customerId", "runId", "computedAt", "windowStart", "windowMonths",
       "orderCount", "firstOrderAt", "lastOrderAt", "recencyDays", "frequency",
       "monetary", "rfmRecency", "rfmFrequency", "rfmMonetary",
       "rfmSegment", "lifecycleStage", "previousLifecycleStage", "relationshipLevel",
       "probabilityAlive", "predictedPurchases", "historicClv",
       "predictedClv", "explanation"
     )
     SELECT coalesce(t."id", gen_random_uuid()), t."customerId", $1::uuid, $2::timestamp, $3::timestamp, $4::smallint,
            t."orderCount", to_timestamp(t."firstOrderMs" / 1000) AT TIME ZONE 'UTC', to_timestamp(t."lastOrderMs" / 1000) AT TIME ZONE 'UTC',
            t."recencyDays", t."frequency", t."monetaryCents" * 0.01, t."rfmRecency", t."rfmFrequency", t."rfmMonetary",
            t."rfmSegment", t."lifecycleStage"::"LifecycleStage", t."previousLifecycleStage"::"LifecycleStage",
            t."relationshipLevel"::"RelationshipLevel",
            t."probabilityAlive", t."predictedPurchases", t."historicCents" * 0.01,
            t."predictedClv", t."explanation"
       FROM unnest($5::uuid[], $6::int[], $7::float8[], $8::float8[], $9::int[], $10::int[],
                   $11::int8[], $12::smallint[], $13::smallint[], $14::smallint[],
                   $15::text[], $16::text[], $17::text[],
                   $18::float8[], $19::float8[], $20::int8[],
                   $21::numeric[], $22::jsonb[], $23::text[], $24::uuid[]) AS t(
            "customerId", "orderCount", "firstOrderMs", "lastOrderMs", "recencyDays", "frequency",
            "monetaryCents", "rfmRecency", "rfmFrequency", "rfmMonetary",
            "rfmSegment", "lifecycleStage", "relationshipLevel",
            "probabilityAlive", "predictedPurchases", "historicCents",
            "predictedClv", "explanation", "previousLifecycleStage", "id")`,
    [
      runId,
      computedAt.toISOString(),
      // One refresh has one window: the same start and months for every row.
      rows[0]!.windowStart.toISOString(),
      rows[0]!.windowMonths,
      text((r) => r.customerId),
      numbers((r) => r.orderCount),
      numbers((r) => r.firstOrderAt?.getTime() ?? null),
      numbers((r) => r.lastOrderAt?.getTime() ?? null),
      numbers((r) => r.recencyDays),
      numbers((r) => r.frequency),
      numbers((r) => r.monetaryCents),
      numbers((r) => r.rfmRecency),
      numbers((r) => r.rfmFrequency),
      numbers((r) => r.rfmMonetary),
      text((r) => r.rfmSegment),
      text((r) => r.lifecycleStage),
      text((r) => r.relationshipLevel),
      numbers((r) => r.probabilityAlive),
      numbers((r) => r.predictedPurchases),
      numbers((r) => r.historicCents),
      text((r) => (r.predictedClv === null ? null : r.predictedClv.toFixed(2))),
      text((r) => JSON.stringify(r.explanation)),
      text((r) => r.previousLifecycleStage),
      text((r) => r.scoreId),
    ],
  );
}

interface IndexInfo {
  name: string;
  definition: string;
  /** The constraint the index backs ('p' primary key, 'u' unique), if any, and its name. */
  constraintType: string | null;
  constraintName: string | null;
}

interface ForeignKeyInfo {
  name: string;
  definition: string;
}

async function liveIndexes(db: RefreshSql): Promise<IndexInfo[]> {
  return db.query<IndexInfo>(
    `SELECT i.relname::text AS "name", pg_get_indexdef(x.indexrelid) AS "definition",
            c.contype::text AS "constraintType", c.conname::text AS "constraintName"
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u')
      WHERE x.indrelid = ${sqlRegclass(LIVE)}
      ORDER BY i.relname`,
    [],
  );
}

async function liveForeignKeys(db: RefreshSql): Promise<ForeignKeyInfo[]> {
  return db.query<ForeignKeyInfo>(
    `SELECT conname::text AS "name", pg_get_constraintdef(oid) AS "definition"
       FROM pg_constraint WHERE conrelid = ${sqlRegclass(LIVE)} AND contype = 'f' ORDER BY conname`,
    [],
  );
}

const sqlRegclass = (quoted: string) => `'${quoted}'::regclass`;

/** Who besides the owner may do what with the live table (a reporting role's SELECT, say), as GRANT statements for the new one. */
async function liveGrants(db: RefreshSql): Promise<string[]> {
  const grants = await db.query<{ grantee: string; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS "grantee",
            a.privilege_type AS "privilege", a.is_grantable AS "grantable"
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = ${sqlRegclass(LIVE)} AND a.grantee <> c.relowner
      ORDER BY 1, 2`,
    [],
  );
  return grants.map((g) => `GRANT ${g.privilege} ON ${LIVE} TO ${g.grantee}${g.grantable ? " WITH GRANT OPTION" : ""}`);
}

/**
 * What the swap cannot carry over: another table's foreign key to CustomerScore (it would have to
 * point at the new table), or a trigger on it. None exists; a migration that adds one must change
 * this file, and the refresh says so instead of dropping it.
 */
async function refuseWhatCannotMove(db: RefreshSql): Promise<void> {
  const blockers = await db.query<{ what: string }>(
    `SELECT 'foreign key ' || conname || ' of ' || conrelid::regclass::text AS "what" FROM pg_constraint
      WHERE confrelid = ${sqlRegclass(LIVE)} AND contype = 'f'
     UNION ALL
     SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = ${sqlRegclass(LIVE)} AND NOT tgisinternal`,
    [],
  );
  if (blockers.length > 0) {
    throw new TendError(
      "SCORE_TABLE_SWAP",
      `the analytics refresh replaces the CustomerScore table and cannot carry over ${blockers.map((b) => b.what).join(", ")}; ` +
        "see src/db/repositories/score-table-swap.ts",
    );
  }
}

/** `CREATE [UNIQUE] INDEX "<name>" ON public."CustomerScore" USING btree (...)` made for another table and name. */
function indexOn(definition: string, table: string, name: string): string {
  const using = definition.indexOf(" USING ");
  if (using < 0) throw new TendError("SCORE_TABLE_SWAP", `cannot read the index definition ${definition}`);
  const unique = /^CREATE UNIQUE INDEX /.test(definition) ? "UNIQUE " : "";
  return `CREATE ${unique}INDEX ${ident(name)} ON ${table}${definition.slice(using)}`;
}

/**
 * Puts the refresh's new table in place of CustomerScore: builds its indexes (each one sort
 * instead of a million insertions; on the `alongside` connections too, side by side), then in one
 * short transaction renames the live table away and the new one in, with the indexes, primary
 * key, unique and foreign keys under the names the migrations gave them and the privileges granted
 * on the old one; then drops the old table, removes scores of customers deleted while the refresh
 * ran, checks the foreign keys against the rows and updates the planner's statistics.
 * The foreign keys are added NOT VALID inside the transaction (no scan while the tables are
 * locked) and validated after it; from the commit on they hold for every change either way.
 */
export async function publishNextScores(db: RefreshSql, alongside: readonly RefreshSql[] = []): Promise<void> {
  await refuseWhatCannotMove(db);
  const indexes = await liveIndexes(db);
  const foreignKeys = await liveForeignKeys(db);
  const grants = await liveGrants(db);
  const building = indexes.map((index, i) => ({ ...index, building: `${NEXT_NAME}_${i}` }));
  // Each lane takes the next index to build until none is left: two connections build two at a time.
  const queue = [...building];
  const buildOn = async (lane: RefreshSql) => {
    for (let index = queue.shift(); index; index = queue.shift()) await lane.query(indexOn(index.definition, NEXT, index.building), []);
  };
  await Promise.all([db, ...alongside].map(buildOn));

  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction(async () => {
        await db.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`, []);
        await db.query(`LOCK TABLE ${LIVE} IN ACCESS EXCLUSIVE MODE`, []);
        await db.query(`ALTER TABLE ${LIVE} RENAME TO ${OLD}`, []);
        // The old indexes give up their names (a primary key's or unique constraint's follows its index's).
        for (const [i, index] of indexes.entries()) await db.query(`ALTER INDEX ${ident(index.name)} RENAME TO ${ident(`${OLD_NAME}_${i}`)}`, []);
        await db.query(`ALTER TABLE ${NEXT} RENAME TO ${LIVE}`, []);
        for (const index of building) {
          if (index.constraintType === "p" || index.constraintType === "u") {
            const kind = index.constraintType === "p" ? "PRIMARY KEY" : "UNIQUE";
            await db.query(`ALTER TABLE ${LIVE} ADD CONSTRAINT ${ident(index.constraintName!)} ${kind} USING INDEX ${ident(index.building)}`, []);
            if (index.constraintName !== index.name) await db.query(`ALTER INDEX ${ident(index.constraintName!)} RENAME TO ${ident(index.name)}`, []);
          } else {
            await db.query(`ALTER INDEX ${ident(index.building)} RENAME TO ${ident(index.name)}`, []);
          }
        }
        for (const key of foreignKeys) {
          const definition = key.definition.replace(/ NOT VALID$/, "");
          await db.query(`ALTER TABLE ${LIVE} ADD CONSTRAINT ${ident(key.name)} ${definition} NOT VALID`, []);
        }
        for (const grant of grants) await db.query(grant, []);
      });
      break;
    } catch (error) {
      // 55P03: lock_not_available (a reader held on longer than LOCK_TIMEOUT); anything else is real.
      if (attempt >= SWAP_ATTEMPTS || !isLockTimeout(error)) throw error;
    }
  }

  await dropOldScores(db);
  // A customer deleted (merged away) after the refresh read the customers kept a row in the new table.
  await db.query(`DELETE FROM ${LIVE} s WHERE NOT EXISTS (SELECT 1 FROM "Customer" c WHERE c."id" = s."customerId")`, []);
  for (const key of foreignKeys) await db.query(`ALTER TABLE ${LIVE} VALIDATE CONSTRAINT ${ident(key.name)}`, []);
  await db.query(`ANALYZE ${LIVE}`, []);
}

/**
 * Dropping the old table takes a brief exclusive lock on the tables its foreign keys point at
 * (Customer, AnalyticsRun), so it waits at most LOCK_TIMEOUT; if readers keep those longer, the
 * old table stays until the next refresh removes it (prepareNextScores).
 */
async function dropOldScores(db: RefreshSql): Promise<void> {
  try {
    await db.transaction(async () => {
      await db.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`, []);
      await db.query(`DROP TABLE IF EXISTS ${OLD}`, []);
    });
  } catch (error) {
    if (!isLockTimeout(error)) throw error;
  }
}

function isLockTimeout(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "55P03") return true;
    if (/lock timeout/i.test(String((e as { message?: unknown }).message ?? ""))) return true;
  }
  return false;
}
