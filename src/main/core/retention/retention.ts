/**
 * Retention: which backups of one plan to keep and which to prune. A pure function of the backups,
 * the plan's rules, the current time and the plan's time zone: no I/O, no clock, so that the
 * decision can be previewed in the UI, logged, and unit-tested across daylight-saving changes.
 *
 * Semantics
 * - Input: the successful backups of ONE plan, in any order. They are ordered newest first by
 *   `startedAt` (ties broken by id, so the decision is deterministic). Both output lists are in that
 *   order too, and every input id is in exactly one of them.
 * - No rule at all (days null, maxCount null, every GFS count 0): keep everything.
 * - Selection rules, combined as a union (a backup is selected if ANY rule selects it, like
 *   `restic forget`):
 *   - keepLast N: the N newest backups.
 *   - keepDaily / keepWeekly / keepMonthly N: the newest backup of each of the N most recent
 *     calendar days / ISO weeks (Monday start, ISO week-year) / calendar months THAT HAVE A BACKUP,
 *     the calendar being read in `timeZone`. Days without a backup do not use up the count.
 *   - days N: backups whose age (`now - startedAt`) is at most N x 24 hours. An age is a duration,
 *     so this rule ignores the time zone; backups dated after `now` (clock skew) count as young.
 *   - If only maxCount is set, every backup is selected (the cap alone decides).
 * - maxCount N is a cap, applied after the union: the selection is trimmed to its N newest members.
 * - Floors, applied last, win over every rule and over maxCount (so the keep list may hold more
 *   than maxCount backups):
 *   1. the newest backup overall is kept ("newest backup");
 *   2. the newest backup that passed verification is kept ("newest verified");
 *   3. the newest full backup that passed verification is kept ("newest verified full");
 *   4. every backup a kept backup depends on (`baseId`), transitively, is kept ("base of <id>"):
 *      an incremental is useless without its chain down to the full. So a chain (a full and
 *      everything built on it, see chains.ts) goes only when none of its members is wanted.
 * - keepChains N selects every member of the N newest chains ("chain 1 of 2"), a chain's age
 *   being its full's.
 * - The storage cap (capBytes), applied after the floors: while the kept backups' sizes add up
 *   to more than the cap, the oldest chain still kept is removed whole ("over the storage cap of
 *   50MB"), never a chain holding the newest backup, the newest verified one or the newest
 *   verified full. `storage` says how much is kept and whether the cap was met; when it was not,
 *   what is left is only what may never be removed. With a cap but no other rule, everything
 *   else is kept ("no retention rule set").
 * - Reasons: a kept backup lists every reason that holds ("keep-last 1" = 1st newest,
 *   "daily 2026-03-29", "weekly 2026-W13", "monthly 2026-03", "within 7 days",
 *   "within max count 5", "no retention rule set", plus the floor reasons). A backup trimmed by the
 *   cap but saved by a floor lists only the floor reasons, since its rule reasons no longer hold.
 *   A pruned backup gets one reason: "beyond max count N" if a rule selected it but the cap cut it,
 *   else "older than N days" if the days rule is set and it is older, else "not selected by any
 *   keep rule".
 */
import { AppError } from '../../../shared/errors';
import type { BackupType, Retention } from '../../../shared/plan';
import { formatByteSize } from '../../../shared/size';
import { groupChains } from './chains';

export interface RetentionCandidate {
  id: string;
  /** ISO 8601 instant the backup started */
  startedAt: string;
  /** true when the backup passed verification */
  verified: boolean;
  /** the backup this incremental/differential depends on; null for a full */
  baseId: string | null;
  type: BackupType;
  /** the file's size, for the storage cap (null or absent: counts as 0) */
  sizeBytes?: number | null;
}

/** How the kept backups stand against the storage cap. */
export interface StorageUse {
  capBytes: number;
  /** what the kept backups take */
  keptBytes: number;
  /** false: even after removing every chain it may remove, the kept backups exceed the cap */
  met: boolean;
}

export interface RetentionDecision {
  keep: { id: string; reasons: string[] }[];
  prune: { id: string; reason: string }[];
  /** only with a storage cap (capBytes) */
  storage?: StorageUse;
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface Sorted {
  candidate: RetentionCandidate;
  time: number;
}

/**
 * Decides which backups of one plan to keep and which to prune. See the file header for the exact
 * semantics.
 *
 * @param backups successful backups of one plan, any order, unique ids
 * @param rules the plan's retention rules
 * @param now the current time (only the `days` rule uses it)
 * @param timeZone IANA zone (e.g. "Europe/Berlin") in which days, weeks and months are read
 * @throws AppError INTERNAL when a `startedAt` is not a valid date; RangeError for an unknown zone
 */
export function planRetention(
  backups: RetentionCandidate[],
  rules: Retention,
  now: Date,
  timeZone: string,
): RetentionDecision {
  // Built up front so an unknown zone fails even for an empty list, not only on the day it matters.
  const localDate = localDateReader(timeZone);
  const sorted = sortNewestFirst(backups);

  const keepChains = rules.keepChains ?? 0;
  const gfsSet = rules.keepLast > 0 || rules.keepDaily > 0 || rules.keepWeekly > 0 || rules.keepMonthly > 0 || keepChains > 0;
  const anyRule = gfsSet || rules.days !== null || rules.maxCount !== null;
  if (!anyRule) {
    const decision = { keep: sorted.map((s) => ({ id: s.candidate.id, reasons: ['no retention rule set'] })), prune: [] };
    return applyStorageCap(decision, sorted, rules.capBytes ?? null);
  }

  // Reasons per id from the selection rules; Map keeps insertion order so reasons read rule by rule.
  const selected = new Map<string, string[]>();
  const select = (id: string, reason: string): void => {
    const reasons = selected.get(id);
    if (reasons) reasons.push(reason);
    else selected.set(id, [reason]);
  };

  sorted.slice(0, rules.keepLast).forEach((s, i) => select(s.candidate.id, `keep-last ${i + 1}`));

  const calendar = sorted.map((s) => localDate(s.time));
  selectNewestPerBucket(sorted, rules.keepDaily, (i) => `daily ${calendar[i].day}`, select);
  selectNewestPerBucket(sorted, rules.keepWeekly, (i) => `weekly ${calendar[i].isoWeek}`, select);
  selectNewestPerBucket(sorted, rules.keepMonthly, (i) => `monthly ${calendar[i].month}`, select);

  if (keepChains > 0) {
    groupChains(sorted.map((s) => s.candidate))
      .slice(0, keepChains)
      .forEach((chain, i) => chain.members.forEach((m) => select(m.id, `chain ${i + 1} of ${keepChains}`)));
  }

  if (rules.days !== null) {
    const cutoff = now.getTime() - rules.days * DAY_MS;
    for (const s of sorted) if (s.time >= cutoff) select(s.candidate.id, `within ${rules.days} days`);
  }

  // With maxCount as the only rule there is nothing to cap, so the cap itself becomes the selection.
  if (!gfsSet && rules.days === null && rules.maxCount !== null) {
    for (const s of sorted) select(s.candidate.id, `within max count ${rules.maxCount}`);
  }

  // The cap trims the selection by age, newest kept; `sorted` order makes "newest" a prefix.
  const kept = new Map<string, string[]>();
  const cappedOut = new Set<string>();
  for (const s of sorted) {
    const reasons = selected.get(s.candidate.id);
    if (!reasons) continue;
    if (rules.maxCount !== null && kept.size >= rules.maxCount) cappedOut.add(s.candidate.id);
    else kept.set(s.candidate.id, [...reasons]);
  }

  const keepFor = (id: string, reason: string): void => {
    const reasons = kept.get(id);
    if (!reasons) kept.set(id, [reason]);
    else if (!reasons.includes(reason)) reasons.push(reason);
  };

  // Floors 1 to 3: a plan must always keep something restorable, whatever the rules say.
  if (sorted.length > 0) keepFor(sorted[0].candidate.id, 'newest backup');
  const newestVerified = sorted.find((s) => s.candidate.verified);
  if (newestVerified) keepFor(newestVerified.candidate.id, 'newest verified');
  const newestVerifiedFull = sorted.find((s) => s.candidate.verified && s.candidate.type === 'full' && s.candidate.baseId === null);
  if (newestVerifiedFull) keepFor(newestVerifiedFull.candidate.id, 'newest verified full');

  // Floor 4: walk every kept backup's chain down to its full. A worklist rather than one pass,
  // because a base saved here may itself depend on another backup. Bases missing from the input
  // (already gone) are skipped: there is nothing left to keep. `visited` guards against a corrupt
  // catalog with a cycle.
  const byId = new Map(sorted.map((s) => [s.candidate.id, s.candidate]));
  const work = [...kept.keys()];
  const visited = new Set<string>();
  while (work.length > 0) {
    const id = work.pop() as string;
    if (visited.has(id)) continue;
    visited.add(id);
    const baseId = byId.get(id)?.baseId;
    if (!baseId || !byId.has(baseId)) continue;
    keepFor(baseId, `base of ${id}`);
    work.push(baseId);
  }

  const decision: RetentionDecision = { keep: [], prune: [] };
  for (const s of sorted) {
    const id = s.candidate.id;
    const reasons = kept.get(id);
    if (reasons) decision.keep.push({ id, reasons });
    else decision.prune.push({ id, reason: pruneReason(s, rules, now, cappedOut.has(id)) });
  }
  return applyStorageCap(decision, sorted, rules.capBytes ?? null);
}

/**
 * The storage cap: removes the oldest kept chains, whole, while the kept backups take more than
 * `capBytes`. The chains holding the newest backup, the newest verified one and the newest
 * verified full are never removed. Whole chains only, so no kept backup ever loses its base.
 */
function applyStorageCap(decision: RetentionDecision, sorted: Sorted[], capBytes: number | null): RetentionDecision {
  if (capBytes === null) return decision;
  const sizeOf = new Map(sorted.map((s) => [s.candidate.id, Math.max(0, s.candidate.sizeBytes ?? 0)]));
  const keptIds = new Set(decision.keep.map((k) => k.id));
  let keptBytes = decision.keep.reduce((sum, k) => sum + (sizeOf.get(k.id) ?? 0), 0);
  if (keptBytes <= capBytes) return { ...decision, storage: { capBytes, keptBytes, met: true } };

  const chains = groupChains(sorted.map((s) => s.candidate));
  const chainOf = new Map<string, number>();
  chains.forEach((chain, index) => chain.members.forEach((m) => chainOf.set(m.id, index)));
  const isProtected = new Set<number>();
  const protect = (s: Sorted | undefined) => s && isProtected.add(chainOf.get(s.candidate.id)!);
  protect(sorted[0]);
  protect(sorted.find((s) => s.candidate.verified));
  protect(sorted.find((s) => s.candidate.verified && s.candidate.type === 'full' && s.candidate.baseId === null));

  const removed = new Set<string>();
  // oldest chain first: `chains` is newest first
  for (let index = chains.length - 1; index >= 0 && keptBytes > capBytes; index--) {
    if (isProtected.has(index)) continue;
    for (const member of chains[index]!.members) {
      if (!keptIds.has(member.id)) continue;
      removed.add(member.id);
      keptBytes -= sizeOf.get(member.id) ?? 0;
    }
  }
  if (removed.size === 0) return { ...decision, storage: { capBytes, keptBytes, met: false } };
  const reason = `over the storage cap of ${formatByteSize(capBytes)}`;
  const order = new Map(sorted.map((s, i) => [s.candidate.id, i]));
  const prune = [...decision.prune, ...[...removed].map((id) => ({ id, reason }))].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return {
    keep: decision.keep.filter((k) => !removed.has(k.id)),
    prune,
    storage: { capBytes, keptBytes, met: keptBytes <= capBytes },
  };
}

function pruneReason(s: Sorted, rules: Retention, now: Date, cappedOut: boolean): string {
  if (cappedOut) return `beyond max count ${rules.maxCount}`;
  if (rules.days !== null && s.time < now.getTime() - rules.days * DAY_MS) return `older than ${rules.days} days`;
  return 'not selected by any keep rule';
}

function sortNewestFirst(backups: RetentionCandidate[]): Sorted[] {
  const sorted = backups.map((candidate) => {
    const time = Date.parse(candidate.startedAt);
    // A NaN would sort anywhere and could get a real backup pruned; refuse rather than guess.
    if (Number.isNaN(time)) {
      throw new AppError('INTERNAL', { detail: `backup ${candidate.id} has an invalid start time "${candidate.startedAt}"` });
    }
    return { candidate, time };
  });
  return sorted.sort((a, b) => b.time - a.time || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0));
}

/**
 * GFS bucket rule: walking newest first, the first backup seen in a bucket is that bucket's newest;
 * it is selected until `count` buckets have been used. Buckets with no backup never appear, so they
 * never use up the count (restic's behaviour).
 */
function selectNewestPerBucket(
  sorted: Sorted[],
  count: number,
  bucketLabel: (index: number) => string,
  select: (id: string, reason: string) => void,
): void {
  if (count <= 0) return;
  const seen = new Set<string>();
  for (let i = 0; i < sorted.length && seen.size < count; i++) {
    const label = bucketLabel(i);
    if (seen.has(label)) continue;
    seen.add(label);
    select(sorted[i].candidate.id, label);
  }
}

interface LocalCalendar {
  /** YYYY-MM-DD */
  day: string;
  /** YYYY-Www, ISO week-year and week */
  isoWeek: string;
  /** YYYY-MM */
  month: string;
}

/**
 * Reads an instant's calendar date in `timeZone`. Intl does the zone and DST arithmetic, so a
 * backup at 23:30 and one at 00:30 local fall on different days whatever UTC says. The Gregorian
 * calendar and Latin digits are forced so the parts parse as numbers in any locale.
 */
function localDateReader(timeZone: string): (time: number) => LocalCalendar {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (time) => {
    const parts = format.formatToParts(new Date(time));
    const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
    const year = part('year');
    const month = part('month');
    const day = part('day');
    return {
      day: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`,
      isoWeek: isoWeekKey(year, month, day),
      month: `${pad(year, 4)}-${pad(month, 2)}`,
    };
  };
}

/**
 * ISO 8601 week of a local calendar date. The date is placed at UTC midnight only as a vehicle for
 * day-of-week arithmetic, which no zone can disturb. The week belongs to the year of its Thursday,
 * so 2026-12-31 can be in 2026-W53 and 2027-01-01 in it too.
 */
function isoWeekKey(year: number, month: number, day: number): string {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / (7 * DAY_MS));
  return `${pad(weekYear, 4)}-W${pad(week, 2)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
