// FerretDB v1 on PostgreSQL keeps each MongoDB index as a btree over `_jsonb -> 'field'`, but it
// answers an equality filter with `_jsonb -> 'field' @> value` (filterEqual in its
// internal/backends/postgresql/query.go), which a btree cannot serve. So every find, update and
// delete by a field, `_id` included, scans the whole table: EXPLAIN through FerretDB shows a Seq
// Scan, and a findOne by orderNo among 20,000 orders took 15–20 ms instead of 2. A GIN index
// (jsonb_path_ops) over the same expression does serve `@>`. This adds one beside every key
// FerretDB indexes uniquely, and `_id`, so finding a document by its key works as on MongoDB. It only adds indexes to FerretDB's own tables and is safe to run again, from
// several processes at once. FerretDB v1 does not hand filters on nested fields ('a.b') or with
// operators ($in, $or…) to PostgreSQL at all: those still read the whole collection.
import type { Logger } from '../logger.ts';
import { runPsql } from './mongo.ts';

const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The SQL: for each collection of `database` (FerretDB's metadata table lists its table and its
 * indexes), a GIN index per top-level field of a unique index, and `_id`, named after a hash of
 * table and field. Those are the look-ups of one document by its key. Every GIN index costs each
 * insert (with a twin for every indexed field the rush's p99 rose from 0.65 s to 0.95 s), and a
 * field shared by many documents (a status, a buyer) finds many rows whichever way it is read.
 */
export function lookupIndexesSql(database: string): string {
  return `
DO $cunbo$
DECLARE
  schema_name text := ${quoteLiteral(database)};
  coll record;
  field text;
  index_name text;
BEGIN
  IF to_regclass(format('%I._ferretdb_database_metadata', schema_name)) IS NULL THEN
    RETURN;
  END IF;
  FOR coll IN EXECUTE format(
    'SELECT _jsonb ->> ''table'' AS table_name, _jsonb -> ''indexes'' AS indexes
       FROM %I._ferretdb_database_metadata', schema_name)
  LOOP
    FOR field IN
      SELECT DISTINCT key FROM jsonb_array_elements(coll.indexes) AS ix,
        LATERAL jsonb_object_keys(ix -> 'key') AS key
      WHERE key NOT LIKE '$%' AND position('.' in key) = 0
        AND (key = '_id' OR (ix ->> 'unique') = 'true')
    LOOP
      index_name := 'cunbo_eq_' || left(md5(coll.table_name || ':' || field), 20);
      BEGIN
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
          index_name, schema_name, coll.table_name, field);
        -- Without this, new keys wait in the index's pending list, which every look-up reads
        -- through: 2.3 ms a look-up among 6,000 new Stripe events, a tenth of that without.
        EXECUTE format('ALTER INDEX %I.%I SET (fastupdate = off)', schema_name, index_name);
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        NULL; -- another process created it at the same moment
      END;
    END LOOP;
  END LOOP;
END
$cunbo$;`;
}

/**
 * Adds the lookup indexes for `database` through psql. Does nothing when FerretDB does not keep
 * that database in this PostgreSQL (SQLite backend, or MongoDB itself); a failure is logged and
 * costs only speed.
 */
export async function addFerretLookupIndexes(
  postgresUrl: string,
  database: string,
  logger: Logger,
): Promise<void> {
  try {
    await runPsql(postgresUrl, lookupIndexesSql(database), 60_000);
  } catch (error) {
    logger.warn(
      { err: String((error as { stderr?: string }).stderr || error).trim() },
      'FerretDB lookup indexes not added: lookups by field will scan their collections',
    );
  }
}

/** Tables of `database` whose statistics or dead rows are stale by autovacuum's own measure. */
export function staleTablesSql(database: string): string {
  return `
SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables
WHERE schemaname = ${quoteLiteral(database)} AND current_setting('autovacuum') = 'off'
  AND (n_mod_since_analyze > 50 + 0.1 * n_live_tup OR n_dead_tup > 50 + 0.2 * n_live_tup)`;
}

/** One round of keepFerretTablesTidy; returns the tables it vacuumed. */
export async function tidyFerretTables(postgresUrl: string, database: string): Promise<string[]> {
  const { stdout } = await runPsql(postgresUrl, staleTablesSql(database), 10_000);
  const tables = stdout.split('\n').filter(Boolean);
  for (const table of tables) await runPsql(postgresUrl, `VACUUM (ANALYZE) ${table}`, 120_000);
  return tables;
}

/**
 * Vacuums and analyzes FerretDB's tables for `database` when PostgreSQL's own autovacuum is off
 * (as on this project's machines). Without statistics the planner guesses, and it guessed a
 * sequential scan for thousands of look-ups by key; without vacuum every update leaves a dead
 * row that look-ups step over. Checks every `everyMs`; one table at a time, never two checks at
 * once. Does nothing when autovacuum is on. Stop it with the returned function.
 */
export function keepFerretTablesTidy(
  postgresUrl: string,
  database: string,
  logger: Logger,
  everyMs = 15_000,
): () => void {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await tidyFerretTables(postgresUrl, database);
    } catch (error) {
      logger.warn(
        { err: String((error as { stderr?: string }).stderr || error).trim() },
        'FerretDB tables not vacuumed this time',
      );
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
