import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionCandidate, type RetentionDecision } from '../../../src/main/core/retention/retention';
import { AppError } from '../../../src/shared/errors';
import type { Retention } from '../../../src/shared/plan';

const NOW = new Date('2026-03-10T12:00:00Z');

function rules(partial: Partial<Retention>): Retention {
  return { days: null, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepChains: 0, capBytes: null, ...partial };
}

function full(id: string, startedAt: string, verified = false): RetentionCandidate {
  return { id, startedAt, verified, baseId: null, type: 'full' };
}

function incr(id: string, startedAt: string, baseId: string, verified = false): RetentionCandidate {
  return { id, startedAt, verified, baseId, type: 'incremental' };
}

/** Runs planRetention and checks the invariant every decision must hold: each id in exactly one list. */
function decide(backups: RetentionCandidate[], r: Retention, timeZone = 'UTC', now = NOW): RetentionDecision {
  const decision = planRetention(backups, r, now, timeZone);
  const ids = [...decision.keep.map((k) => k.id), ...decision.prune.map((p) => p.id)];
  expect([...ids].sort()).toEqual(backups.map((b) => b.id).sort());
  return decision;
}

const kept = (d: RetentionDecision): string[] => d.keep.map((k) => k.id);
const pruned = (d: RetentionDecision): string[] => d.prune.map((p) => p.id);
const reasonsOf = (d: RetentionDecision, id: string): string[] | undefined => d.keep.find((k) => k.id === id)?.reasons;
const pruneReasonOf = (d: RetentionDecision, id: string): string | undefined => d.prune.find((p) => p.id === id)?.reason;

/** One full backup a day at 02:00 UTC, from 2026-03-01 (b01) to 2026-03-10 (b10); oldest first. */
const tenDays: RetentionCandidate[] = Array.from({ length: 10 }, (_, i) => {
  const day = String(i + 1).padStart(2, '0');
  return full(`b${day}`, `2026-03-${day}T02:00:00Z`);
});

describe('planRetention: trivial inputs', () => {
  it('returns empty lists for no backups, with or without rules', () => {
    expect(decide([], rules({}))).toEqual({ keep: [], prune: [] });
    expect(decide([], rules({ days: 7, maxCount: 3, keepLast: 2 }))).toEqual({ keep: [], prune: [] });
  });

  it('keeps everything, newest first, when no rule is set', () => {
    const d = decide(tenDays, rules({}));
    expect(kept(d)).toEqual([...tenDays].reverse().map((b) => b.id));
    expect(d.prune).toEqual([]);
    expect(reasonsOf(d, 'b01')).toEqual(['no retention rule set']);
  });

  it('orders unsorted input by startedAt itself, not by input position', () => {
    const shuffled = [tenDays[4], tenDays[9], tenDays[0], tenDays[7], tenDays[2], tenDays[8]];
    const d = decide(shuffled, rules({ keepLast: 2 }));
    expect(kept(d)).toEqual(['b10', 'b09']);
    expect(pruned(d)).toEqual(['b08', 'b05', 'b03', 'b01']);
    expect(reasonsOf(d, 'b10')).toEqual(['keep-last 1', 'newest backup']);
    expect(reasonsOf(d, 'b09')).toEqual(['keep-last 2']);
  });

  it('compares instants, not strings, when offsets differ', () => {
    // 10:00+05:00 is 05:00Z, older than 06:00Z although it sorts later as a string
    const d = decide([full('a', '2026-03-05T10:00:00+05:00'), full('b', '2026-03-05T06:00:00Z')], rules({ keepLast: 1 }));
    expect(kept(d)).toEqual(['b']);
    expect(pruned(d)).toEqual(['a']);
  });

  it('refuses a backup with an unreadable start time rather than guessing its age', () => {
    expect(() => planRetention([full('x', 'yesterday')], rules({ keepLast: 1 }), NOW, 'UTC')).toThrow(AppError);
  });

  it('rejects an unknown time zone', () => {
    expect(() => planRetention([], rules({ keepDaily: 1 }), NOW, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('planRetention: each rule on its own', () => {
  it('keepLast keeps the N newest', () => {
    const d = decide(tenDays, rules({ keepLast: 3 }));
    expect(kept(d)).toEqual(['b10', 'b09', 'b08']);
    expect(reasonsOf(d, 'b08')).toEqual(['keep-last 3']);
    expect(pruneReasonOf(d, 'b07')).toBe('not selected by any keep rule');
    expect(d.prune).toHaveLength(7);
  });

  it('keepDaily keeps the newest of each of the N most recent days that have a backup', () => {
    const backups = [
      full('mar01-am', '2026-03-01T10:00:00Z'),
      full('mar01-pm', '2026-03-01T20:00:00Z'),
      full('mar03', '2026-03-03T09:00:00Z'),
      full('mar05-am', '2026-03-05T08:00:00Z'),
      full('mar05-pm', '2026-03-05T18:00:00Z'),
    ];
    // 03-04 and 03-02 have no backup, so they do not use up the count of 3
    const d = decide(backups, rules({ keepDaily: 3 }));
    expect(kept(d)).toEqual(['mar05-pm', 'mar03', 'mar01-pm']);
    expect(reasonsOf(d, 'mar03')).toEqual(['daily 2026-03-03']);
    expect(reasonsOf(d, 'mar01-pm')).toEqual(['daily 2026-03-01']);
    expect(pruned(d)).toEqual(['mar05-am', 'mar01-am']);
  });

  it('keepWeekly buckets by ISO week, Monday start', () => {
    const backups = [
      full('sun01', '2026-03-01T12:00:00Z'), // Sunday: still 2026-W09
      full('mon02', '2026-03-02T12:00:00Z'), // Monday: 2026-W10 starts
      full('sun08', '2026-03-08T12:00:00Z'), // 2026-W10
      full('mon09', '2026-03-09T12:00:00Z'), // 2026-W11
    ];
    const d = decide(backups, rules({ keepWeekly: 2 }));
    expect(kept(d)).toEqual(['mon09', 'sun08']);
    expect(reasonsOf(d, 'mon09')).toEqual(['weekly 2026-W11', 'newest backup']);
    expect(reasonsOf(d, 'sun08')).toEqual(['weekly 2026-W10']);
    expect(pruned(d)).toEqual(['mon02', 'sun01']);

    const three = decide(backups, rules({ keepWeekly: 3 }));
    expect(reasonsOf(three, 'sun01')).toEqual(['weekly 2026-W09']);
  });

  it('keepWeekly uses the ISO week-year across new year', () => {
    const backups = [
      full('dec28', '2026-12-28T12:00:00Z'), // Monday of 2026-W53
      full('jan02', '2027-01-02T12:00:00Z'), // Saturday, still 2026-W53
      full('jan04', '2027-01-04T12:00:00Z'), // Monday of 2027-W01
    ];
    const d = decide(backups, rules({ keepWeekly: 2 }));
    expect(kept(d)).toEqual(['jan04', 'jan02']);
    expect(reasonsOf(d, 'jan02')).toEqual(['weekly 2026-W53']);
    expect(reasonsOf(d, 'jan04')).toContain('weekly 2027-W01');
    expect(pruned(d)).toEqual(['dec28']);
  });

  it('keepMonthly keeps the newest of each of the N most recent months that have a backup', () => {
    const backups = [
      full('jan15', '2026-01-15T12:00:00Z'),
      full('jan31', '2026-01-31T12:00:00Z'),
      full('mar10', '2026-03-10T12:00:00Z'),
      full('mar20', '2026-03-20T12:00:00Z'),
    ];
    const d = decide(backups, rules({ keepMonthly: 2 }));
    expect(kept(d)).toEqual(['mar20', 'jan31']);
    expect(reasonsOf(d, 'jan31')).toEqual(['monthly 2026-01']);
    expect(pruned(d)).toEqual(['mar10', 'jan15']);
  });

  it('days keeps backups at most N x 24 hours old and prunes the rest as too old', () => {
    const backups = [
      full('fresh', '2026-03-10T06:00:00Z'),
      full('mid', '2026-03-05T12:00:00Z'),
      full('edge', '2026-03-03T12:00:00Z'), // exactly 7 days: not older than 7 days
      full('just-over', '2026-03-03T11:59:59Z'),
      full('old', '2026-02-20T12:00:00Z'),
    ];
    const d = decide(backups, rules({ days: 7 }));
    expect(kept(d)).toEqual(['fresh', 'mid', 'edge']);
    expect(reasonsOf(d, 'mid')).toEqual(['within 7 days']);
    expect(reasonsOf(d, 'edge')).toEqual(['within 7 days']);
    expect(pruned(d)).toEqual(['just-over', 'old']);
    expect(pruneReasonOf(d, 'old')).toBe('older than 7 days');
  });

  it('days counts a backup dated after now (clock skew) as young', () => {
    const d = decide([full('future', '2026-03-11T00:00:00Z'), full('old', '2026-01-01T00:00:00Z')], rules({ days: 1 }));
    expect(reasonsOf(d, 'future')).toContain('within 1 days');
    expect(pruned(d)).toEqual(['old']);
  });

  it('maxCount alone keeps the N newest', () => {
    const d = decide(tenDays, rules({ maxCount: 4 }));
    expect(kept(d)).toEqual(['b10', 'b09', 'b08', 'b07']);
    expect(reasonsOf(d, 'b07')).toEqual(['within max count 4']);
    expect(pruned(d)).toEqual(['b06', 'b05', 'b04', 'b03', 'b02', 'b01']);
    expect(d.prune.every((p) => p.reason === 'beyond max count 4')).toBe(true);
  });
});

describe('planRetention: combining rules', () => {
  it('keeps the union of the rules, with every reason that holds', () => {
    const backups = [
      ...tenDays,
      full('jan31', '2026-01-31T02:00:00Z'),
      full('jan10', '2026-01-10T02:00:00Z'),
      full('dec31', '2025-12-31T02:00:00Z'),
    ];
    // now = 03-10 12:00: days 3 covers b08..b10; keepLast 1 = b10; keepMonthly 2 = b10 (March), jan31
    const d = decide(backups, rules({ days: 3, keepLast: 1, keepMonthly: 2 }));
    expect(kept(d)).toEqual(['b10', 'b09', 'b08', 'jan31']);
    expect(reasonsOf(d, 'b10')).toEqual(['keep-last 1', 'monthly 2026-03', 'within 3 days', 'newest backup']);
    expect(reasonsOf(d, 'b08')).toEqual(['within 3 days']);
    expect(reasonsOf(d, 'jan31')).toEqual(['monthly 2026-01']);
    expect(pruneReasonOf(d, 'b07')).toBe('older than 3 days');
    expect(pruneReasonOf(d, 'dec31')).toBe('older than 3 days');
  });

  it('says "not selected" for a young backup no GFS rule picked when days is not set', () => {
    const d = decide(tenDays, rules({ keepDaily: 2 }));
    expect(pruneReasonOf(d, 'b08')).toBe('not selected by any keep rule');
  });

  it('caps the union at maxCount, newest first', () => {
    // days 30 selects all ten; keepMonthly 2 adds feb01 (February); maxCount 3 trims to the newest 3
    const backups = [...tenDays, full('feb01', '2026-02-01T02:00:00Z'), full('jan01', '2026-01-01T02:00:00Z')];
    const d = decide(backups, rules({ days: 30, keepMonthly: 2, maxCount: 3 }));
    expect(kept(d)).toEqual(['b10', 'b09', 'b08']);
    expect(pruneReasonOf(d, 'b07')).toBe('beyond max count 3');
    expect(pruneReasonOf(d, 'feb01')).toBe('beyond max count 3');
    expect(pruneReasonOf(d, 'jan01')).toBe('older than 30 days');
  });
});

describe('planRetention: floors', () => {
  it('never prunes the newest backup, even when every backup is older than days', () => {
    const old = [full('a', '2025-01-01T00:00:00Z'), full('b', '2025-01-02T00:00:00Z')];
    const d = decide(old, rules({ days: 7 }));
    expect(kept(d)).toEqual(['b']);
    expect(reasonsOf(d, 'b')).toEqual(['newest backup']);
    expect(pruneReasonOf(d, 'a')).toBe('older than 7 days');
  });

  it('never prunes the newest verified backup, beating days', () => {
    const backups = [
      full('v-old', '2025-01-01T00:00:00Z', true),
      full('v-newer', '2025-02-01T00:00:00Z', true),
      full('unverified', '2025-03-01T00:00:00Z'),
    ];
    const d = decide(backups, rules({ days: 7 }));
    expect(kept(d)).toEqual(['unverified', 'v-newer']);
    expect(reasonsOf(d, 'v-newer')).toEqual(['newest verified', 'newest verified full']);
    expect(pruned(d)).toEqual(['v-old']);
  });

  it('keeps the newest verified backup beyond maxCount, with only the floor as its reason', () => {
    const backups = tenDays.map((b) => ({ ...b, verified: b.id === 'b05' }));
    const d = decide(backups, rules({ maxCount: 2 }));
    expect(kept(d)).toEqual(['b10', 'b09', 'b05']);
    expect(reasonsOf(d, 'b05')).toEqual(['newest verified', 'newest verified full']);
    expect(pruneReasonOf(d, 'b06')).toBe('beyond max count 2');
    expect(pruneReasonOf(d, 'b04')).toBe('beyond max count 2');
  });

  it('adds the floor reason to a backup a rule already kept', () => {
    const backups = tenDays.map((b) => ({ ...b, verified: true }));
    const d = decide(backups, rules({ keepLast: 1 }));
    expect(reasonsOf(d, 'b10')).toEqual(['keep-last 1', 'newest backup', 'newest verified', 'newest verified full']);
    expect(kept(d)).toEqual(['b10']);
  });
});

describe('planRetention: dependency chains', () => {
  // old chain: f0 <- i0a; current chain: f1 <- i1a <- i1b (newest)
  const chains = [
    full('f0', '2026-02-01T02:00:00Z'),
    incr('i0a', '2026-02-02T02:00:00Z', 'f0'),
    full('f1', '2026-03-01T02:00:00Z'),
    incr('i1a', '2026-03-02T02:00:00Z', 'f1'),
    incr('i1b', '2026-03-03T02:00:00Z', 'i1a'),
  ];

  it('keeps the whole chain under a kept incremental, and prunes an unkept chain together', () => {
    const d = decide(chains, rules({ keepLast: 1 }));
    expect(kept(d)).toEqual(['i1b', 'i1a', 'f1']);
    expect(reasonsOf(d, 'i1a')).toEqual(['base of i1b']);
    expect(reasonsOf(d, 'f1')).toEqual(['base of i1a']);
    expect(pruned(d)).toEqual(['i0a', 'f0']);
  });

  it('keeps the chain beyond maxCount', () => {
    const d = decide(chains, rules({ maxCount: 1 }));
    expect(kept(d)).toEqual(['i1b', 'i1a', 'f1']);
    expect(reasonsOf(d, 'i1b')).toEqual(['within max count 1', 'newest backup']);
    expect(pruneReasonOf(d, 'i0a')).toBe('beyond max count 1');
  });

  it('keeps the chain under the newest verified incremental even when days would drop it', () => {
    const backups = [
      full('f0', '2025-01-01T02:00:00Z'),
      incr('i0', '2025-01-02T02:00:00Z', 'f0', true),
      full('f1', '2025-06-01T02:00:00Z'),
    ];
    const d = decide(backups, rules({ days: 7 }));
    expect(kept(d)).toEqual(['f1', 'i0', 'f0']);
    expect(reasonsOf(d, 'i0')).toEqual(['newest verified']);
    expect(reasonsOf(d, 'f0')).toEqual(['base of i0']);
  });

  it('prunes every link of the old chain once a newer full is the only one kept', () => {
    const withNewFull = [...chains, full('f2', '2026-03-04T02:00:00Z')];
    const d = decide(withNewFull, rules({ keepLast: 1 }));
    expect(kept(d)).toEqual(['f2']);
    expect(pruned(d)).toEqual(['i1b', 'i1a', 'f1', 'i0a', 'f0']);
  });

  it('lists one reason per kept dependent of a shared base (differentials)', () => {
    const backups: RetentionCandidate[] = [
      full('f', '2026-03-01T02:00:00Z'),
      { id: 'd1', startedAt: '2026-03-02T02:00:00Z', verified: false, baseId: 'f', type: 'differential' },
      { id: 'd2', startedAt: '2026-03-03T02:00:00Z', verified: false, baseId: 'f', type: 'differential' },
    ];
    const d = decide(backups, rules({ keepLast: 2 }));
    expect(kept(d)).toEqual(['d2', 'd1', 'f']);
    expect(reasonsOf(d, 'f')?.sort()).toEqual(['base of d1', 'base of d2']);
  });

  it('tolerates a base that is already gone and a corrupt cycle', () => {
    const backups = [
      incr('orphan', '2026-03-05T02:00:00Z', 'deleted-long-ago'),
      incr('x', '2026-03-01T02:00:00Z', 'y'),
      incr('y', '2026-03-02T02:00:00Z', 'x'),
    ];
    const d = decide(backups, rules({ keepLast: 1 }));
    expect(kept(d)).toEqual(['orphan']);

    const cyc = decide(backups, rules({ keepLast: 3 }));
    expect(reasonsOf(cyc, 'x')).toEqual(['keep-last 3', 'base of y']);
    expect(reasonsOf(cyc, 'y')).toEqual(['keep-last 2', 'base of x']);
  });
});

describe('planRetention: calendar buckets in the plan time zone', () => {
  /** The decision under keepDaily: n alone. */
  const daily = (backups: RetentionCandidate[], n: number, zone: string): RetentionDecision =>
    decide(backups, rules({ keepDaily: n }), zone);

  it('splits 23:30 and 00:30 local into two days in New York although UTC has one', () => {
    const backups = [
      full('late', '2026-01-15T04:30:00Z'), // 23:30 EST, Jan 14
      full('early', '2026-01-15T05:30:00Z'), // 00:30 EST, Jan 15
    ];
    const ny = daily(backups, 2, 'America/New_York');
    expect(kept(ny)).toEqual(['early', 'late']);
    expect(reasonsOf(ny, 'late')).toEqual(['daily 2026-01-14']);
    expect(reasonsOf(ny, 'early')).toContain('daily 2026-01-15');

    const utc = daily(backups, 2, 'UTC');
    expect(kept(utc)).toEqual(['early']);
    expect(pruned(utc)).toEqual(['late']);
  });

  it('splits 23:30 and 00:30 local into two days in Berlin although UTC has one', () => {
    const backups = [
      full('late', '2026-01-15T22:30:00Z'), // 23:30 CET, Jan 15
      full('early', '2026-01-15T23:30:00Z'), // 00:30 CET, Jan 16
    ];
    const berlin = daily(backups, 2, 'Europe/Berlin');
    expect(reasonsOf(berlin, 'late')).toEqual(['daily 2026-01-15']);
    expect(reasonsOf(berlin, 'early')).toContain('daily 2026-01-16');
    expect(kept(daily(backups, 2, 'UTC'))).toEqual(['early']);
  });

  // Around each DST change: 23:30 the evening before, 00:30 on the day, 23:30 on the day, 00:30 the
  // day after, each in the offset in force at that moment. A fixed offset gets at least one wrong.
  it.each([
    {
      name: 'New York spring forward 2026-03-08',
      zone: 'America/New_York',
      before: '2026-03-08T04:30:00Z', // 23:30 EST 03-07
      startOfDay: '2026-03-08T05:30:00Z', // 00:30 EST 03-08
      endOfDay: '2026-03-09T03:30:00Z', // 23:30 EDT 03-08
      after: '2026-03-09T04:30:00Z', // 00:30 EDT 03-09 (23:30 on 03-08 at the old offset)
      days: ['2026-03-07', '2026-03-08', '2026-03-09'],
    },
    {
      name: 'New York fall back 2026-11-01',
      zone: 'America/New_York',
      before: '2026-11-01T03:30:00Z', // 23:30 EDT 10-31
      startOfDay: '2026-11-01T04:30:00Z', // 00:30 EDT 11-01
      endOfDay: '2026-11-02T04:30:00Z', // 23:30 EST 11-01 (00:30 on 11-02 at the old offset)
      after: '2026-11-02T05:30:00Z', // 00:30 EST 11-02
      days: ['2026-10-31', '2026-11-01', '2026-11-02'],
    },
    {
      name: 'Berlin spring forward 2026-03-29',
      zone: 'Europe/Berlin',
      before: '2026-03-28T22:30:00Z', // 23:30 CET 03-28
      startOfDay: '2026-03-28T23:30:00Z', // 00:30 CET 03-29
      endOfDay: '2026-03-29T21:30:00Z', // 23:30 CEST 03-29
      after: '2026-03-29T22:30:00Z', // 00:30 CEST 03-30 (23:30 on 03-29 at the old offset)
      days: ['2026-03-28', '2026-03-29', '2026-03-30'],
    },
    {
      name: 'Berlin fall back 2026-10-25',
      zone: 'Europe/Berlin',
      before: '2026-10-24T21:30:00Z', // 23:30 CEST 10-24
      startOfDay: '2026-10-24T22:30:00Z', // 00:30 CEST 10-25
      endOfDay: '2026-10-25T22:30:00Z', // 23:30 CET 10-25 (00:30 on 10-26 at the old offset)
      after: '2026-10-25T23:30:00Z', // 00:30 CET 10-26
      days: ['2026-10-24', '2026-10-25', '2026-10-26'],
    },
  ])('buckets days correctly across $name', ({ zone, before, startOfDay, endOfDay, after, days }) => {
    const backups = [
      full('after', after),
      full('before', before),
      full('endOfDay', endOfDay),
      full('startOfDay', startOfDay),
    ];
    const d = daily(backups, 3, zone);
    expect(kept(d)).toEqual(['after', 'endOfDay', 'before']);
    expect(reasonsOf(d, 'before')).toEqual([`daily ${days[0]}`]);
    expect(reasonsOf(d, 'endOfDay')).toEqual([`daily ${days[1]}`]);
    expect(reasonsOf(d, 'after')).toContain(`daily ${days[2]}`);
    // the DST day's 00:30 shares its day with 23:30 the same day, which is newer
    expect(pruned(d)).toEqual(['startOfDay']);
  });

  it('puts both 01:30s of the New York fall-back day in the same day', () => {
    const backups = [
      full('first-0130', '2026-11-01T05:30:00Z'), // 01:30 EDT
      full('second-0130', '2026-11-01T06:30:00Z'), // 01:30 EST, an hour later
      full('prev', '2026-11-01T03:30:00Z'), // 23:30 EDT 10-31
    ];
    const d = daily(backups, 2, 'America/New_York');
    expect(kept(d)).toEqual(['second-0130', 'prev']);
    expect(reasonsOf(d, 'second-0130')).toContain('daily 2026-11-01');
    expect(pruned(d)).toEqual(['first-0130']);
  });

  it('starts the ISO week on local Monday midnight (Berlin, DST night)', () => {
    const backups = [
      full('sun', '2026-03-29T21:30:00Z'), // Sunday 23:30 CEST, 2026-W13
      full('mon', '2026-03-29T22:30:00Z'), // Monday 00:30 CEST, 2026-W14; still Sunday in UTC
    ];
    const berlin = decide(backups, rules({ keepWeekly: 2 }), 'Europe/Berlin');
    expect(kept(berlin)).toEqual(['mon', 'sun']);
    expect(reasonsOf(berlin, 'sun')).toEqual(['weekly 2026-W13']);
    expect(reasonsOf(berlin, 'mon')).toContain('weekly 2026-W14');

    const utc = decide(backups, rules({ keepWeekly: 2 }), 'UTC');
    expect(kept(utc)).toEqual(['mon']);
  });

  it('splits months at local midnight (New York)', () => {
    const backups = [
      full('mar31', '2026-04-01T03:30:00Z'), // 23:30 EDT, March 31
      full('apr01', '2026-04-01T04:30:00Z'), // 00:30 EDT, April 1
    ];
    const ny = decide(backups, rules({ keepMonthly: 2 }), 'America/New_York');
    expect(reasonsOf(ny, 'mar31')).toEqual(['monthly 2026-03']);
    expect(reasonsOf(ny, 'apr01')).toContain('monthly 2026-04');

    const utc = decide(backups, rules({ keepMonthly: 2 }), 'UTC');
    expect(kept(utc)).toEqual(['apr01']);
  });
});

describe('planRetention: chains', () => {
  /** Three incremental chains of three: f1 i1a i1b, f2 i2a i2b, f3 i3a i3b (oldest first), a day apart. */
  const threeChains: RetentionCandidate[] = [1, 2, 3].flatMap((c) => {
    const day = (n: number) => `2026-03-${String((c - 1) * 3 + n).padStart(2, '0')}T02:00:00Z`;
    return [full(`f${c}`, day(1)), incr(`i${c}a`, day(2), `f${c}`), incr(`i${c}b`, day(3), `i${c}a`)];
  });

  it('keepChains keeps the N newest chains whole and removes the older ones whole', () => {
    const d = decide(threeChains, rules({ keepChains: 2 }));
    expect(kept(d)).toEqual(['i3b', 'i3a', 'f3', 'i2b', 'i2a', 'f2']);
    expect(pruned(d)).toEqual(['i1b', 'i1a', 'f1']);
    expect(reasonsOf(d, 'f2')).toEqual(['chain 2 of 2', 'base of i2a']);
    expect(pruneReasonOf(d, 'f1')).toBe('not selected by any keep rule');
  });

  it('keeps an old full while a kept differential depends on it, and only then', () => {
    const backups = [
      full('f', '2026-03-01T02:00:00Z'),
      { id: 'd1', startedAt: '2026-03-02T02:00:00Z', verified: false, baseId: 'f', type: 'differential' as const },
      { id: 'd2', startedAt: '2026-03-09T02:00:00Z', verified: false, baseId: 'f', type: 'differential' as const },
    ];
    const d = decide(backups, rules({ days: 3 }));
    expect(kept(d)).toEqual(['d2', 'f']);
    expect(reasonsOf(d, 'f')).toEqual(['base of d2']);
    expect(pruned(d)).toEqual(['d1']);
  });

  it('keeps the newest verified full and its chain though a newer chain is kept by the rules', () => {
    const backups = threeChains.map((b) => ({ ...b, verified: b.id === 'f2' || b.id === 'i3b' }));
    const d = decide(backups, rules({ keepChains: 1 }));
    expect(kept(d)).toEqual(['i3b', 'i3a', 'f3', 'f2']);
    expect(reasonsOf(d, 'f2')).toEqual(['newest verified full']);
  });
});

describe('planRetention: storage cap', () => {
  const sized = (b: RetentionCandidate, sizeBytes: number): RetentionCandidate => ({ ...b, sizeBytes });
  const MB = 1_000_000;
  /** Four full backups of 20 MB, a day apart, the newest verified. */
  const fulls = [1, 2, 3, 4].map((n) => sized(full(`f${n}`, `2026-03-0${n}T02:00:00Z`, n === 4), 20 * MB));

  it('says nothing about storage without a cap', () => {
    expect(decide(fulls, rules({})).storage).toBeUndefined();
  });

  it('removes the oldest chains first until the kept backups fit under the cap', () => {
    const d = decide(fulls, rules({ capBytes: 50 * MB }));
    expect(kept(d)).toEqual(['f4', 'f3']);
    expect(pruned(d)).toEqual(['f2', 'f1']);
    expect(pruneReasonOf(d, 'f1')).toBe('over the storage cap of 50MB');
    expect(d.storage).toEqual({ capBytes: 50 * MB, keptBytes: 40 * MB, met: true });
  });

  it('removes whole chains, never the middle of one', () => {
    const chain = (c: number, hour: number) => [
      sized(full(`f${c}`, `2026-03-0${c}T0${hour}:00:00Z`), 30 * MB),
      sized(incr(`i${c}`, `2026-03-0${c}T0${hour + 1}:00:00Z`, `f${c}`), 5 * MB),
    ];
    const d = decide([...chain(1, 1), ...chain(2, 1), ...chain(3, 1)], rules({ capBytes: 75 * MB }));
    expect(kept(d)).toEqual(['i3', 'f3', 'i2', 'f2']);
    expect(pruned(d)).toEqual(['i1', 'f1']);
    expect(d.storage?.met).toBe(true);
  });

  it('never removes the newest backup nor the newest verified full, and says the cap is not met', () => {
    const big = [sized(full('old-verified', '2026-03-01T02:00:00Z', true), 60 * MB), sized(full('newest', '2026-03-02T02:00:00Z'), 60 * MB)];
    const d = decide(big, rules({ capBytes: 50 * MB }));
    expect(kept(d)).toEqual(['newest', 'old-verified']);
    expect(d.storage).toEqual({ capBytes: 50 * MB, keptBytes: 120 * MB, met: false });
  });

  it('a single backup larger than the cap is kept, and the cap is not met', () => {
    const d = decide([sized(full('only', '2026-03-01T02:00:00Z'), 60 * MB)], rules({ capBytes: 50 * MB }));
    expect(kept(d)).toEqual(['only']);
    expect(d.storage).toEqual({ capBytes: 50 * MB, keptBytes: 60 * MB, met: false });
  });

  it('applies after the other rules: what they already removed does not count', () => {
    const d = decide(fulls, rules({ keepLast: 2, capBytes: 50 * MB }));
    expect(kept(d)).toEqual(['f4', 'f3']);
    expect(pruneReasonOf(d, 'f2')).toBe('not selected by any keep rule');
    expect(d.storage).toEqual({ capBytes: 50 * MB, keptBytes: 40 * MB, met: true });
  });
});
