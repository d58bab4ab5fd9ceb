/**
 * What a backup's server session waits on, as pg_stat_activity and pg_locks tell it: the stall
 * watcher asks when a job has made no progress for a while. Lifeboat's sessions are found by
 * their application_name (`lifeboat`, and pg_dump's own `lifeboat pg_dump`, see dump.ts).
 */
import type { DatabaseSource } from '../../../shared/plan';
import { connectDatabase } from './connection';

/** pg_dump's application_name (PGAPPNAME), so its backend can be told from Lifeboat's own session. */
export const PG_DUMP_APP_NAME = 'lifeboat pg_dump';

/** One waiting session of ours, and what blocks it. */
export interface WaitRow {
  application_name: string;
  wait_event_type: string | null;
  wait_event: string | null;
  lock_mode: string | null;
  locktype: string | null;
  relation: string | null;
  blocker_pid: number | null;
  blocker_app: string | null;
  blocker_user: string | null;
  blocker_state: string | null;
  blocker_seconds: number | null;
}

/**
 * Our sessions on the source's database that wait, pg_dump's first, with the lock each waits
 * for and the first session blocking it (pg_blocking_pids). The probe's own session is left out.
 */
export const WAIT_QUERY = `
SELECT a.application_name, a.wait_event_type, a.wait_event,
       l.mode AS lock_mode, l.locktype, l.relation::regclass::text AS relation,
       b.pid AS blocker_pid, b.application_name AS blocker_app, b.usename::text AS blocker_user, b.state AS blocker_state,
       extract(epoch FROM now() - b.state_change)::int AS blocker_seconds
FROM pg_stat_activity a
LEFT JOIN LATERAL (SELECT * FROM pg_locks x WHERE x.pid = a.pid AND NOT x.granted LIMIT 1) l ON true
LEFT JOIN LATERAL (SELECT * FROM pg_stat_activity y WHERE y.pid = (pg_blocking_pids(a.pid))[1]) b ON true
WHERE a.application_name LIKE 'lifeboat%' AND a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND a.state = 'active' AND a.wait_event IS NOT NULL
ORDER BY (a.application_name = '${PG_DUMP_APP_NAME}') DESC, (a.wait_event_type = 'Lock') DESC
LIMIT 1`;

/** Waits that are the server's normal work rather than something to name. */
const NOT_WAITING = new Set(['ClientRead']);

/**
 * A waiting session in words: "a lock on table public.orders, held by process 4242 (psql, user
 * ann, idle in transaction for 12 min)", or "the server (IO: DataFileRead)". Null: not waiting.
 */
export function describeWait(row: WaitRow | null): string | null {
  if (!row || !row.wait_event) return null;
  if (NOT_WAITING.has(row.wait_event)) return null;
  const who = row.application_name === PG_DUMP_APP_NAME ? 'pg_dump' : 'the row count before the dump';
  if (row.wait_event_type === 'Lock') {
    const what = row.relation ? `a lock on table ${row.relation}` : `a ${row.locktype ?? row.wait_event} lock`;
    if (row.blocker_pid === null) return `${what} (${who})`;
    const facts = [row.blocker_app || null, row.blocker_user ? `user ${row.blocker_user}` : null];
    if (row.blocker_state) {
      const minutes = row.blocker_seconds !== null ? Math.floor(row.blocker_seconds / 60) : null;
      facts.push(minutes ? `${row.blocker_state} for ${minutes} min` : row.blocker_state);
    }
    const said = facts.filter(Boolean).join(', ');
    return `${what}, held by process ${row.blocker_pid}${said ? ` (${said})` : ''} (${who})`;
  }
  if (row.wait_event === 'ClientWrite') return `Lifeboat to read the server's output (${who})`;
  return `the server (${row.wait_event_type ?? 'wait'}: ${row.wait_event}) (${who})`;
}

/**
 * Asks the source's server what our sessions on its database wait for. Null when nothing of
 * ours waits there, or the server cannot be asked (the stall is then shown without a reason).
 */
export async function probeWait(source: DatabaseSource, password: string | null, timeoutMs = 5000): Promise<string | null> {
  let client;
  try {
    client = await connectDatabase(source, password, { connectTimeoutMs: timeoutMs });
  } catch {
    return null;
  }
  try {
    const result = await client.query<WaitRow>({ text: WAIT_QUERY });
    return describeWait(result.rows[0] ?? null);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}
