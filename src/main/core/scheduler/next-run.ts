/**
 * When a plan's schedule runs next: a pure function of (schedule, time zone, instant), unit-tested
 * across daylight-saving changes. node-schedule only fires the Date computed here.
 *
 * Schedules are written in wall-clock time of the plan's IANA time zone. Wall times are turned
 * into instants by these rules, the same for every kind:
 * - A wall time that does not exist (the spring-forward gap, e.g. 02:30 on 2026-03-08 in
 *   America/New_York) runs at the first valid instant after the gap: 03:00 local. (Luxon and
 *   cron-parser would shift it by the gap's length, to 03:30; a backup set for 02:30 should not
 *   run later than the earliest moment it can.) Several wall times in one gap collapse into that
 *   one instant, so they run once.
 * - A wall time that occurs twice (fall back, e.g. 01:30 on 2026-11-01 in New York) runs once, at
 *   its first occurrence (01:30 EDT); the repeated hour runs nothing that already ran.
 *
 * Kinds:
 * - daily / weekly / monthly: at HH:mm on the matching local days. Weekly days are 0 = Sunday ..
 *   6 = Saturday. A monthly day past the month's end (31 in April, 29–31 in February) runs on the
 *   month's last day.
 * - hourly, every N hours, N <= 24: elapsed time anchored at each local midnight. A day's slots are
 *   00:00 + k·N hours of elapsed time for k·N < 24 (so a normal day has ceil(24/N) slots: every 6
 *   hours is 00:00, 06:00, 12:00, 18:00; every 5 hours is 00:00, 05:00, 10:00, 15:00, 20:00).
 *   A slot never reaches the next local midnight (on a 23-hour spring day the elapsed hour 23 does
 *   not exist, so every-1-hour has 23 slots); a 25-hour autumn day gets one more slot only when a
 *   whole interval still fits before midnight (every 1 or 2 hours: yes; every 6 hours: no).
 *   In elapsed terms no slot is duplicated and none is lost: consecutive slots are N hours apart,
 *   except the interval that ends at local midnight, which absorbs the day's length (up to an
 *   hour shorter or longer on a DST day; shorter when N does not divide 24). After a DST change
 *   the day's later slots move by the change in wall-clock terms (every 6 hours on 2026-03-08 in
 *   New York: 00:00 EST, 07:00, 13:00, 19:00 EDT) and are back on 00/06/12/18 from the next
 *   midnight.
 * - hourly, N > 24: pure elapsed time, every N hours from 00:00 local on 2000-01-03 (a Monday).
 *   Exactly N hours apart whatever DST does, so the wall time moves by an hour with DST.
 * - cron: the expression (5 fields, or 6 with seconds first; parsed and validated by cron-parser)
 *   is matched in wall-clock time of the zone, then the rules above apply. Day-of-month and
 *   day-of-week both restricted means either (Vixie cron).
 */
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { AppError } from '../../../shared/errors';
import type { Schedule } from '../../../shared/plan';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** No zone's offset is farther than this from UTC (Kiribati is +14, Baker Island −12). */
const MAX_OFFSET_MS = 14 * HOUR_MS;
/** Far enough to find the next slot of any non-cron kind (monthly is the sparsest: 31 days). */
const SEARCH_DAYS = 62;
/** Candidates a cron search may reject before giving up (in practice it rejects at most one). */
const CRON_SEARCH_LIMIT = 1_000;
/** Anchor of the hourly series longer than a day: 00:00 local on Monday 2000-01-03. */
const LONG_HOURLY_ANCHOR_NAIVE = Date.UTC(2000, 0, 3);

/**
 * A "naive" time is a wall-clock reading stored as if it were UTC milliseconds: calendar
 * arithmetic on it has no DST, and the zone only matters when it becomes an instant.
 */
type Naive = number;

/** Zones already validated: luxon checks a name by building an Intl formatter, which is slow. */
const zones = new Map<string, IANAZone>();

/**
 * The IANA zone for `timeZone`, or AppError VALIDATION naming the fix.
 */
export function resolveTimeZone(timeZone: string): IANAZone {
  const known = zones.get(timeZone);
  if (known) return known;
  if (!IANAZone.isValidZone(timeZone)) {
    throw new AppError('VALIDATION', {
      detail: `unknown time zone "${timeZone}": use an IANA name such as Europe/Berlin, America/New_York or UTC`,
    });
  }
  const zone = IANAZone.create(timeZone);
  zones.set(timeZone, zone);
  return zone;
}

function parseCron(expression: string, currentDate?: Date) {
  try {
    // 'UTC' makes cron-parser a DST-free calendar over naive times; the zone is applied by us
    return CronExpressionParser.parse(expression.trim(), { tz: 'UTC', currentDate });
  } catch (error) {
    throw new AppError('VALIDATION', {
      detail: `cron expression "${expression}": ${error instanceof Error ? error.message : String(error)}. Use 5 fields (minute hour day month weekday), for example 0 2 * * *`,
      cause: error,
    });
  }
}

/**
 * Checks that a schedule can be computed: a known time zone and, for cron, an expression that
 * parses and matches at least one time. Throws AppError VALIDATION with a message naming the fix.
 */
export function validateSchedule(schedule: Schedule, timeZone: string): void {
  resolveTimeZone(timeZone);
  if (schedule.kind === 'cron') {
    parseCron(schedule.expression);
    computeNextRun(schedule, timeZone, new Date(0));
  }
}

function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

/** The wall-clock reading of an instant in the zone. */
function toNaive(zone: IANAZone, instant: number): Naive {
  return instant + offsetMs(zone, instant);
}

/**
 * The instant a wall-clock time runs at, by the DST rules of the file header: its only
 * occurrence; the first of two (fall back); or, inside a gap, the first instant after the gap.
 */
function wallTimeToInstant(zone: IANAZone, naive: Naive): number {
  // the instants whose wall time is `naive` are naive − offset, for an offset in force near them
  const early = offsetMs(zone, naive - MAX_OFFSET_MS);
  const late = offsetMs(zone, naive + MAX_OFFSET_MS);
  // the usual case, no change within the window: one offset, one instant
  if (early === late && offsetMs(zone, naive - early) === early) return naive - early;
  const offsets = new Set([early, offsetMs(zone, naive), late]);
  let first: number | null = null;
  for (const offset of offsets) {
    const instant = naive - offset;
    if (offsetMs(zone, instant) === offset && (first === null || instant < first)) first = instant;
  }
  if (first !== null) return first;

  // a gap: find the transition, the first instant whose wall time is past `naive`
  const largest = Math.max(...offsets);
  const smallest = Math.min(...offsets);
  let lo = naive - largest - 1; // its wall time is before `naive`
  let hi = naive - smallest; // its wall time is after `naive`
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (toNaive(zone, mid) > naive) hi = mid;
    else lo = mid;
  }
  return hi;
}

function startOfNaiveDay(naive: Naive): Naive {
  return Math.floor(naive / DAY_MS) * DAY_MS;
}

function hhmmToMs(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h * HOUR_MS + m * MINUTE_MS;
}

function daysInMonth(naiveDay: Naive): number {
  const d = new Date(naiveDay);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

type DayKind = Extract<Schedule, { kind: 'daily' | 'weekly' | 'monthly' }> | Extract<Schedule, { kind: 'hourly' }>;

/** The instants a day-based schedule runs at on one local day, ascending. */
function slotsOfDay(schedule: DayKind, zone: IANAZone, day: Naive): number[] {
  const date = new Date(day);
  switch (schedule.kind) {
    case 'daily':
      return [wallTimeToInstant(zone, day + hhmmToMs(schedule.time))];
    case 'weekly':
      return schedule.days.includes(date.getUTCDay()) ? [wallTimeToInstant(zone, day + hhmmToMs(schedule.time))] : [];
    case 'monthly': {
      const runDay = Math.min(schedule.day, daysInMonth(day));
      return date.getUTCDate() === runDay ? [wallTimeToInstant(zone, day + hhmmToMs(schedule.time))] : [];
    }
    case 'hourly': {
      const midnight = wallTimeToInstant(zone, day);
      const nextMidnight = wallTimeToInstant(zone, day + DAY_MS);
      const step = schedule.everyHours * HOUR_MS;
      const slots: number[] = [];
      for (let k = 0; ; k++) {
        const slot = midnight + k * step;
        if (slot >= nextMidnight) break;
        // a normal day's slots; past them (a 25-hour day) only a slot that leaves a whole interval
        if (k * schedule.everyHours >= 24 && slot + step > nextMidnight) break;
        slots.push(slot);
      }
      return slots;
    }
  }
}

/** Hourly beyond a day: a slot of the series N hours apart from the anchor; `round` picks it. */
function longHourlySlot(everyHours: number, zone: IANAZone, instant: number, round: (periods: number) => number): number {
  const anchor = wallTimeToInstant(zone, LONG_HOURLY_ANCHOR_NAIVE);
  const period = everyHours * HOUR_MS;
  return anchor + round((instant - anchor) / period) * period;
}

function nextDaySlot(schedule: DayKind, zone: IANAZone, after: number): number | null {
  // start a day early: a gap at the end of the previous day can push its slot into today
  const first = startOfNaiveDay(toNaive(zone, after)) - DAY_MS;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    for (const slot of slotsOfDay(schedule, zone, first + i * DAY_MS)) if (slot > after) return slot;
  }
  return null;
}

function previousDaySlot(schedule: DayKind, zone: IANAZone, atOrBefore: number): number | null {
  const first = startOfNaiveDay(toNaive(zone, atOrBefore)) + DAY_MS;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const slots = slotsOfDay(schedule, zone, first - i * DAY_MS);
    for (let j = slots.length - 1; j >= 0; j--) if (slots[j] <= atOrBefore) return slots[j];
  }
  return null;
}

/** The first instant in (lo, hi] whose UTC offset differs from lo's, or null if none does. */
function offsetChangeBetween(zone: IANAZone, lo: number, hi: number): number | null {
  const before = offsetMs(zone, lo);
  if (offsetMs(zone, hi) === before) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/*
 * wallTimeToInstant never decreases as the wall time grows, so the cron searches start at the
 * wall time of the instant itself and almost always stop at the first candidate.
 */

function nextCronSlot(expression: string, zone: IANAZone, after: number): number {
  let iterator = parseCron(expression, new Date(toNaive(zone, after))); // next() is strictly after
  for (let i = 0; i < CRON_SEARCH_LIMIT; i++) {
    const instant = wallTimeToInstant(zone, iterator.next().getTime());
    if (instant > after) return instant;
    // `after` is in the repeated hour of a fall-back and this wall time ran at its first
    // occurrence, as did every wall time up to the end of the repeated hour: skip past it
    const change = offsetChangeBetween(zone, instant, after);
    if (change !== null) iterator = parseCron(expression, new Date(toNaive(zone, change - 1)));
  }
  throw new AppError('VALIDATION', { detail: `cron expression "${expression}" found no next run` });
}

function previousCronSlot(expression: string, zone: IANAZone, atOrBefore: number): number | null {
  // in the repeated hour the wall clock reads less than it did before the change; wall times up to
  // the end of that hour already ran (first occurrence), so the search starts at that end
  let highest = toNaive(zone, atOrBefore);
  const change = offsetChangeBetween(zone, atOrBefore - DAY_MS, atOrBefore);
  if (change !== null) highest = Math.max(highest, toNaive(zone, change - 1));
  const iterator = parseCron(expression, new Date(highest + 1)); // prev() is strictly before
  try {
    for (let i = 0; i < CRON_SEARCH_LIMIT; i++) {
      const instant = wallTimeToInstant(zone, iterator.prev().getTime());
      if (instant <= atOrBefore) return instant;
    }
  } catch {
    // cron-parser gives up when no earlier time matches: there is no previous slot
  }
  return null;
}

function wrapCronSearch<T>(expression: string, search: () => T): T {
  try {
    return search();
  } catch (error) {
    if (error instanceof AppError) throw error;
    // cron-parser's loop limit: an expression that parses but never matches (30 February)
    throw new AppError('VALIDATION', {
      detail: `cron expression "${expression}" never runs: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

/**
 * The first run of `schedule` strictly after `after`, in the plan's time zone; null for a manual
 * schedule. DST rules: see the file header. Throws AppError VALIDATION for an unknown time zone
 * or a cron expression that does not parse or never matches.
 */
export function computeNextRun(schedule: Schedule, timeZone: string, after: Date): Date | null {
  const zone = resolveTimeZone(timeZone);
  const t = after.getTime();
  if (schedule.kind === 'manual') return null;
  if (schedule.kind === 'cron') return new Date(wrapCronSearch(schedule.expression, () => nextCronSlot(schedule.expression, zone, t)));
  if (schedule.kind === 'hourly' && schedule.everyHours > 24) {
    return new Date(longHourlySlot(schedule.everyHours, zone, t, (p) => Math.floor(p) + 1));
  }
  const slot = nextDaySlot(schedule, zone, t);
  return slot === null ? null : new Date(slot);
}

/**
 * The latest run of `schedule` at or before `atOrBefore` (null for manual, or if there is none).
 * Catch-up uses it to find the slot that was missed while the app was closed or asleep. For every
 * instant x: previousRun(x) <= x < computeNextRun(previousRun(x)) = computeNextRun(x).
 */
export function previousRun(schedule: Schedule, timeZone: string, atOrBefore: Date): Date | null {
  const zone = resolveTimeZone(timeZone);
  const t = atOrBefore.getTime();
  if (schedule.kind === 'manual') return null;
  if (schedule.kind === 'cron') {
    const slot = wrapCronSearch(schedule.expression, () => previousCronSlot(schedule.expression, zone, t));
    return slot === null ? null : new Date(slot);
  }
  if (schedule.kind === 'hourly' && schedule.everyHours > 24) {
    return new Date(longHourlySlot(schedule.everyHours, zone, t, Math.floor));
  }
  const slot = previousDaySlot(schedule, zone, t);
  return slot === null ? null : new Date(slot);
}

/** The next `count` runs after `after`, strictly increasing (fewer for a manual schedule). */
export function nextRuns(schedule: Schedule, timeZone: string, after: Date, count: number): Date[] {
  const runs: Date[] = [];
  let cursor = after;
  while (runs.length < count) {
    const next = computeNextRun(schedule, timeZone, cursor);
    if (!next) break;
    runs.push(next);
    cursor = next;
  }
  return runs;
}
