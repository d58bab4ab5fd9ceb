/**
 * An exported snapshot: the row counts recorded in the manifest and the data pg_dump writes
 * come from the same instant, so a restore drill can compare them exactly even while the
 * database keeps changing.
 */
import type pg from 'pg';
import { AppError } from '../../../shared/errors';
import type { ManifestTable } from '../../../shared/manifest';

/**
 * A table as the manifest records it: `rows` is the table's own rows in the snapshot
 * (count(*) FROM ONLY, 0 for a partitioned table), `bytes` its pg_total_relation_size at the
 * time of the snapshot's query, with its kind, parents and oid (see ManifestTable).
 */
export type SnapshotTable = ManifestTable & Required<Pick<ManifestTable, 'kind' | 'oid'>>;

export interface DbSnapshot {
  /** pass to pg_dump --snapshot while this snapshot is open */
  snapshotId: string;
  /** every table pg_dump dumps (partitioned ones too), sorted by schema then name */
  tables: SnapshotTable[];
  /** Ends the transaction and the client. Safe to call more than once; never throws. */
  release(): Promise<void>;
}

/*
 * Tables pg_dump writes: ordinary tables (partition leaves are ordinary tables too) and
 * partitioned tables (no rows of their own: listed so that a restore can choose one, and its
 * partitions come with it), outside the system schemas, other sessions' temporary schemas and
 * extensions (pg_dump leaves an extension's tables to CREATE EXTENSION). `parents`: the
 * partitioned table of a partition, or the INHERITS parents of an inheritance child, in order.
 */
const tablesSql = (serverVersionNum: number) => `
SELECT n.nspname AS schema,
       c.relname AS name,
       format('%I.%I', n.nspname, c.relname) AS qualified,
       pg_total_relation_size(c.oid) AS bytes,
       c.oid::int8 AS oid,
       c.relkind AS relkind,
       ${serverVersionNum >= 100000 ? 'c.relispartition' : 'false'} AS is_partition,
       (SELECT json_agg(json_build_object('schema', pn.nspname, 'name', pc.relname) ORDER BY i.inhseqno)
          FROM pg_inherits i
          JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid) AS parents
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%'
   AND n.nspname NOT LIKE 'pg\\_temp\\_%'
   AND NOT EXISTS (
     SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY n.nspname, c.relname`;

/**
 * Opens a read-only REPEATABLE READ transaction on `client`, exports its snapshot, and counts
 * the rows of every user table inside it. The transaction stays open (and the client busy) until
 * release(): pg_dump can only attach to the snapshot while it does. On failure the client is
 * ended and the error is an AppError.
 */
export async function openSnapshot(client: pg.Client): Promise<DbSnapshot> {
  let released: Promise<void> | null = null;
  const release = () =>
    (released ??= (async () => {
      // COMMIT of a read-only transaction cannot lose anything; after an error it rolls back
      await client.query('COMMIT').catch(() => undefined);
      await client.end().catch(() => undefined);
    })());

  try {
    // as pg_dump does: a long count or a long dump must not be cut short by server defaults
    await client.query('SET statement_timeout = 0');
    await client.query('SET idle_in_transaction_session_timeout = 0');
    // partitions (relispartition) since PostgreSQL 10
    const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // the first statement fixes the transaction's snapshot, so this is the exported instant
    const exported = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    const snapshotId = exported.rows[0]!.id;
    const listed = await client.query<{
      schema: string;
      name: string;
      qualified: string;
      bytes: string;
      oid: string;
      relkind: 'r' | 'p';
      is_partition: boolean;
      parents: { schema: string; name: string }[] | null;
    }>(tablesSql(version));
    const tables: SnapshotTable[] = [];
    for (const table of listed.rows) {
      const kind = table.relkind === 'p' ? 'partitioned' : 'table';
      const parents = table.parents ?? [];
      const family = table.is_partition ? { partitionOf: parents[0]! } : parents.length ? { inherits: parents } : {};
      const base = { schema: table.schema, name: table.name, kind, ...family, oid: Number(table.oid) } as const;
      if (kind === 'partitioned') {
        tables.push({ ...base, rows: 0, bytes: Number(table.bytes) });
        continue;
      }
      // ONLY: an inheritance parent's count(*) would include its children's rows, counted again for each child
      const counted = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ONLY ${table.qualified}`).catch(
        (error: unknown) => {
          throw new AppError('PG_DUMP_FAILED', {
            detail: `could not count the rows of ${table.qualified}: ${error instanceof Error ? error.message : String(error)}`,
            cause: error,
          });
        },
      );
      tables.push({ ...base, rows: Number(counted.rows[0]!.rows), bytes: Number(table.bytes) });
    }
    return { snapshotId, tables, release };
  } catch (error) {
    await release();
    if (error instanceof AppError) throw error;
    throw new AppError('PG_DUMP_FAILED', {
      detail: `could not open a snapshot: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}
