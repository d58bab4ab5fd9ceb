/**
 * Backup chains: a full backup and every incremental or differential built on it (directly or
 * through others). Pure functions of a plan's backups, no I/O: retention keeps and removes whole
 * chains, and a run of an incremental or differential plan asks here whether to start a new one.
 */
import { formatShortDateTime } from '../../../shared/format';
import type { BackupType } from '../../../shared/plan';

/** A backup as chains see it. */
export interface ChainMember {
  id: string;
  /** ISO 8601 instant the backup started */
  startedAt: string;
  /** the backup this one builds on; null for a full */
  baseId: string | null;
  type: BackupType;
}

export interface Chain<T extends ChainMember = ChainMember> {
  /** the chain's first backup: its full, or the oldest link left when the full is gone (a broken chain) */
  root: T;
  /** every member, newest first (the root last) */
  members: T[];
  /** false when the root is not a full: its base is gone, so nothing in the chain can be restored whole */
  complete: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Newest first by start time, ties by id (so that every decision is deterministic). */
function newestFirst<T extends ChainMember>(a: T, b: T): number {
  return Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Groups backups into chains, newest chain (by its root's start) first. A backup whose base is
 * not among `backups` (deleted, never in the catalog) roots a chain of its own; a corrupt cycle
 * of bases is cut where it closes.
 */
export function groupChains<T extends ChainMember>(backups: readonly T[]): Chain<T>[] {
  const byId = new Map(backups.map((b) => [b.id, b]));
  const rootOf = new Map<string, T>();
  const findRoot = (backup: T): T => {
    const known = rootOf.get(backup.id);
    if (known) return known;
    const path: T[] = [];
    const seen = new Set<string>();
    let current = backup;
    for (;;) {
      path.push(current);
      seen.add(current.id);
      const cached = rootOf.get(current.id);
      if (cached) {
        for (const p of path) rootOf.set(p.id, cached);
        return cached;
      }
      const base = current.baseId ? byId.get(current.baseId) : undefined;
      if (!base || seen.has(base.id)) break;
      current = base;
    }
    for (const p of path) rootOf.set(p.id, current);
    return current;
  };
  const chains = new Map<string, Chain<T>>();
  for (const backup of [...backups].sort(newestFirst)) {
    const root = findRoot(backup);
    let chain = chains.get(root.id);
    if (!chain) chains.set(root.id, (chain = { root, members: [], complete: root.type === 'full' && root.baseId === null }));
    chain.members.push(backup);
  }
  return [...chains.values()].sort((a, b) => newestFirst(a.root, b.root));
}

/** What a plan says about starting new chains. */
export interface ChainPolicy {
  type: BackupType;
  /** a new full when the current chain holds this many backups; null: no run-count rule */
  fullEveryRuns: number | null;
  /** a new full when the current chain's full is this many days old; null: no age rule */
  fullEveryDays: number | null;
}

export interface NextBackupType {
  /** what the next run makes (an incremental or differential still becomes a full when it finds no usable base) */
  type: BackupType;
  /** why, for the job's message and the plan's card */
  reason: string;
  /** the chain the next run would extend (null: it starts a new one) */
  chain: { rootId: string; length: number; startedAt: string } | null;
}

/**
 * Decides whether the next run of a plan starts a new chain with a full backup: always for a full
 * plan; for an incremental or differential one when a full was asked for (`fullRequested`), when
 * the plan has no backup yet, when its newest chain has lost its full, when that chain holds
 * `fullEveryRuns` backups, or when its full is `fullEveryDays` days old. `backups` are the plan's
 * backups still on disk.
 */
export function decideNextBackupType(policy: ChainPolicy, backups: readonly ChainMember[], now: Date, fullRequested = false): NextBackupType {
  if (policy.type === 'full') return { type: 'full', reason: 'the plan makes full backups', chain: null };
  if (fullRequested) return { type: 'full', reason: 'a full backup was asked for', chain: null };
  const current = groupChains(backups)[0];
  if (!current) return { type: 'full', reason: 'there is no earlier backup to build on', chain: null };
  if (!current.complete) return { type: 'full', reason: 'the newest chain has lost its full backup', chain: null };
  const length = current.members.length;
  if (policy.fullEveryRuns !== null && length >= policy.fullEveryRuns) {
    return { type: 'full', reason: `the chain holds ${length} backup${length === 1 ? '' : 's'} (a full every ${policy.fullEveryRuns} runs)`, chain: null };
  }
  const age = now.getTime() - Date.parse(current.root.startedAt);
  if (policy.fullEveryDays !== null && age >= policy.fullEveryDays * DAY_MS) {
    return { type: 'full', reason: `the chain's full is ${Math.floor(age / DAY_MS)} days old (a full every ${policy.fullEveryDays} days)`, chain: null };
  }
  const limit = policy.fullEveryRuns !== null ? ` of ${policy.fullEveryRuns}` : '';
  return {
    type: policy.type,
    reason: `builds on the chain started ${formatShortDateTime(current.root.startedAt, now)} (backup ${length + 1}${limit})`,
    chain: { rootId: current.root.id, length, startedAt: current.root.startedAt },
  };
}
