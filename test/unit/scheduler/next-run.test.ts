/**
 * computeNextRun / previousRun across the 2026 daylight-saving changes of America/New_York
 * (spring forward 2026-03-08 02:00 EST → 03:00 EDT; fall back 2026-11-01 02:00 EDT → 01:00 EST)
 * and Europe/Berlin (2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET).
 * Expected instants are written with their local offset, so each reads as the wall time it is.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors';
import type { Schedule } from '../../../src/shared/plan';
import { computeNextRun, nextRuns, previousRun, validateSchedule } from '../../../src/main/core/scheduler/next-run';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;
const MINUTE = 60_000;

const d = (iso: string) => new Date(iso);
const iso = (dates: (Date | null)[]) => dates.map((x) => x?.toISOString() ?? null);
const expectRuns = (schedule: Schedule, tz: string, after: string, expected: string[]) =>
  expect(iso(nextRuns(schedule, tz, d(after), expected.length))).toEqual(iso(expected.map(d)));
const gapsInHours = (runs: Date[]) => runs.slice(1).map((r, i) => (r.getTime() - runs[i].getTime()) / HOUR);

function expectValidation(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('VALIDATION');
  expect((caught as AppError).message).toMatch(message);
}

describe('daily', () => {
  it('02:30 in the New York spring gap runs at 03:00 EDT, the first valid instant', () => {
    expectRuns({ kind: 'daily', time: '02:30' }, NY, '2026-03-06T12:00:00Z', [
      '2026-03-07T02:30:00-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-09T02:30:00-04:00',
    ]);
  });

  it('01:30 on the New York fall-back day runs once, at its first occurrence (EDT)', () => {
    expectRuns({ kind: 'daily', time: '01:30' }, NY, '2026-10-30T12:00:00Z', [
      '2026-10-31T01:30:00-04:00',
      '2026-11-01T01:30:00-04:00',
      '2026-11-02T01:30:00-05:00',
    ]);
    // from inside the repeated hour (01:40 EDT, then 01:10 EST) the next run is the next day
    expect(computeNextRun({ kind: 'daily', time: '01:30' }, NY, d('2026-11-01T01:40:00-04:00'))).toEqual(
      d('2026-11-02T01:30:00-05:00'),
    );
    expect(computeNextRun({ kind: 'daily', time: '01:30' }, NY, d('2026-11-01T01:10:00-05:00'))).toEqual(
      d('2026-11-02T01:30:00-05:00'),
    );
  });

  it('02:30 on the New York fall-back day and 01:30 on the spring day exist once and run as written', () => {
    expect(computeNextRun({ kind: 'daily', time: '02:30' }, NY, d('2026-11-01T00:00:00-04:00'))).toEqual(
      d('2026-11-01T02:30:00-05:00'),
    );
    expect(computeNextRun({ kind: 'daily', time: '01:30' }, NY, d('2026-03-08T00:00:00-05:00'))).toEqual(
      d('2026-03-08T01:30:00-05:00'),
    );
  });

  it('02:30 in Berlin: 03:00 CEST in the spring gap, first occurrence (CEST) when repeated in autumn', () => {
    expectRuns({ kind: 'daily', time: '02:30' }, BERLIN, '2026-03-28T12:00:00Z', [
      '2026-03-29T03:00:00+02:00',
      '2026-03-30T02:30:00+02:00',
    ]);
    expectRuns({ kind: 'daily', time: '02:30' }, BERLIN, '2026-10-24T12:00:00Z', [
      '2026-10-25T02:30:00+02:00',
      '2026-10-26T02:30:00+01:00',
    ]);
  });

  it('01:30 in Berlin is untouched by either change', () => {
    expectRuns({ kind: 'daily', time: '01:30' }, BERLIN, '2026-03-28T12:00:00Z', [
      '2026-03-29T01:30:00+01:00',
      '2026-03-30T01:30:00+02:00',
    ]);
    expectRuns({ kind: 'daily', time: '01:30' }, BERLIN, '2026-10-24T12:00:00Z', [
      '2026-10-25T01:30:00+02:00',
      '2026-10-26T01:30:00+01:00',
    ]);
  });

  it('the default 02:00 across all four changes', () => {
    const at2 = { kind: 'daily', time: '02:00' } as const;
    // spring: 02:00 does not exist in either zone
    expect(computeNextRun(at2, NY, d('2026-03-07T12:00:00Z'))).toEqual(d('2026-03-08T03:00:00-04:00'));
    expect(computeNextRun(at2, BERLIN, d('2026-03-28T12:00:00Z'))).toEqual(d('2026-03-29T03:00:00+02:00'));
    // fall: New York repeats 01:xx, so 02:00 EST is single; Berlin repeats 02:xx, so CEST comes first
    expect(computeNextRun(at2, NY, d('2026-10-31T12:00:00Z'))).toEqual(d('2026-11-01T02:00:00-05:00'));
    expectRuns(at2, BERLIN, '2026-10-24T12:00:00Z', ['2026-10-25T02:00:00+02:00', '2026-10-26T02:00:00+01:00']);
  });

  it('is strictly after `after`, also when `after` is a slot itself', () => {
    const slot = d('2026-06-01T02:00:00-04:00');
    expect(computeNextRun({ kind: 'daily', time: '02:00' }, NY, slot)).toEqual(d('2026-06-02T02:00:00-04:00'));
    expect(computeNextRun({ kind: 'daily', time: '02:00' }, NY, new Date(slot.getTime() - 1))).toEqual(slot);
  });
});

describe('weekly', () => {
  it('Sunday 03:00 across the New York spring change is 7 days less one hour of elapsed time', () => {
    const runs = nextRuns({ kind: 'weekly', time: '03:00', days: [0] }, NY, d('2026-02-28T12:00:00Z'), 3);
    expect(iso(runs)).toEqual(iso([d('2026-03-01T03:00:00-05:00'), d('2026-03-08T03:00:00-04:00'), d('2026-03-15T03:00:00-04:00')]));
    expect(gapsInHours(runs)).toEqual([7 * 24 - 1, 7 * 24]);
  });

  it('Sunday 03:00 across the Berlin autumn change (03:00 CET exists once) is 7 days and one hour', () => {
    const runs = nextRuns({ kind: 'weekly', time: '03:00', days: [0] }, BERLIN, d('2026-10-17T12:00:00Z'), 3);
    expect(iso(runs)).toEqual(iso([d('2026-10-18T03:00:00+02:00'), d('2026-10-25T03:00:00+01:00'), d('2026-11-01T03:00:00+01:00')]));
    expect(gapsInHours(runs)).toEqual([7 * 24 + 1, 7 * 24]);
  });

  it('several days a week, in order (0 = Sunday)', () => {
    expectRuns({ kind: 'weekly', time: '08:15', days: [5, 1, 3] }, BERLIN, '2026-06-07T12:00:00Z', [
      '2026-06-08T08:15:00+02:00', // Monday
      '2026-06-10T08:15:00+02:00', // Wednesday
      '2026-06-12T08:15:00+02:00', // Friday
      '2026-06-15T08:15:00+02:00',
    ]);
  });
});

describe('monthly', () => {
  it('day 31 runs on the last day of shorter months (February, April)', () => {
    expectRuns({ kind: 'monthly', day: 31, time: '02:00' }, BERLIN, '2026-01-15T00:00:00Z', [
      '2026-01-31T02:00:00+01:00',
      '2026-02-28T02:00:00+01:00',
      '2026-03-31T02:00:00+02:00',
      '2026-04-30T02:00:00+02:00',
      '2026-05-31T02:00:00+02:00',
    ]);
  });

  it('day 30 runs on 29 February in a leap year, and the previous run finds it too', () => {
    const monthly = { kind: 'monthly', day: 30, time: '01:00' } as const;
    expect(computeNextRun(monthly, NY, d('2028-02-01T00:00:00Z'))).toEqual(d('2028-02-29T01:00:00-05:00'));
    expect(previousRun(monthly, NY, d('2028-03-15T00:00:00Z'))).toEqual(d('2028-02-29T01:00:00-05:00'));
  });
});

describe('hourly (elapsed time anchored at each local midnight)', () => {
  it('every 6 hours on the New York spring day: 4 slots, 6 h apart, the one ending at midnight 5 h', () => {
    const runs = nextRuns({ kind: 'hourly', everyHours: 6 }, NY, d('2026-03-07T18:00:00-05:00'), 6);
    expect(iso(runs)).toEqual(
      iso([
        d('2026-03-08T00:00:00-05:00'),
        d('2026-03-08T07:00:00-04:00'),
        d('2026-03-08T13:00:00-04:00'),
        d('2026-03-08T19:00:00-04:00'),
        d('2026-03-09T00:00:00-04:00'),
        d('2026-03-09T06:00:00-04:00'),
      ]),
    );
    expect(gapsInHours(runs)).toEqual([6, 6, 6, 5, 6]);
  });

  it('every 6 hours on the New York fall-back day: 4 slots, the one ending at midnight 7 h', () => {
    const runs = nextRuns({ kind: 'hourly', everyHours: 6 }, NY, d('2026-10-31T18:00:00-04:00'), 6);
    expect(iso(runs)).toEqual(
      iso([
        d('2026-11-01T00:00:00-04:00'),
        d('2026-11-01T05:00:00-05:00'),
        d('2026-11-01T11:00:00-05:00'),
        d('2026-11-01T17:00:00-05:00'),
        d('2026-11-02T00:00:00-05:00'),
        d('2026-11-02T06:00:00-05:00'),
      ]),
    );
    expect(gapsInHours(runs)).toEqual([6, 6, 6, 7, 6]);
  });

  it('every 6 hours across both Berlin changes: no duplicated or lost slot', () => {
    for (const [from, day] of [
      ['2026-03-28T12:00:00Z', '2026-03-29'],
      ['2026-10-24T12:00:00Z', '2026-10-25'],
    ]) {
      const runs = nextRuns({ kind: 'hourly', everyHours: 6 }, BERLIN, d(from), 12);
      const gaps = gapsInHours(runs);
      expect(new Set(runs.map((r) => r.getTime())).size).toBe(runs.length);
      expect(gaps.every((g) => g >= 5 && g <= 7)).toBe(true);
      expect(gaps.filter((g) => g !== 6)).toHaveLength(1); // only the interval ending at midnight
      const onTheDay = runs.filter((r) => r.toLocaleDateString('sv-SE', { timeZone: BERLIN }) === day);
      expect(onTheDay).toHaveLength(4);
    }
  });

  it('every hour: 23 slots on the spring day and 25 on the fall-back day, all exactly 1 h apart', () => {
    const spring = nextRuns({ kind: 'hourly', everyHours: 1 }, NY, d('2026-03-07T23:30:00-05:00'), 24);
    expect(spring[0]).toEqual(d('2026-03-08T00:00:00-05:00'));
    expect(spring[23]).toEqual(d('2026-03-09T00:00:00-04:00'));
    expect(gapsInHours(spring).every((g) => g === 1)).toBe(true);
    const fall = nextRuns({ kind: 'hourly', everyHours: 1 }, NY, d('2026-10-31T23:30:00-04:00'), 26);
    expect(fall[0]).toEqual(d('2026-11-01T00:00:00-04:00'));
    expect(fall[25]).toEqual(d('2026-11-02T00:00:00-05:00'));
    expect(gapsInHours(fall).every((g) => g === 1)).toBe(true);
  });

  it('every 5 hours restarts at midnight: 00, 05, 10, 15, 20', () => {
    expectRuns({ kind: 'hourly', everyHours: 5 }, BERLIN, '2026-06-01T21:00:00+02:00', [
      '2026-06-02T00:00:00+02:00',
      '2026-06-02T05:00:00+02:00',
      '2026-06-02T10:00:00+02:00',
      '2026-06-02T15:00:00+02:00',
      '2026-06-02T20:00:00+02:00',
      '2026-06-03T00:00:00+02:00',
    ]);
  });

  it('every 48 hours is pure elapsed time: exactly 48 h apart across the change', () => {
    const runs = nextRuns({ kind: 'hourly', everyHours: 48 }, NY, d('2026-03-01T00:00:00Z'), 6);
    expect(gapsInHours(runs)).toEqual([48, 48, 48, 48, 48]);
  });
});

describe('cron (matched in wall-clock time of the zone)', () => {
  it("'0 */4 * * *' in New York: the hour lost in spring shortens one interval to 3 h", () => {
    const runs = nextRuns({ kind: 'cron', expression: '0 */4 * * *' }, NY, d('2026-03-07T21:00:00-05:00'), 4);
    expect(iso(runs)).toEqual(
      iso([d('2026-03-08T00:00:00-05:00'), d('2026-03-08T04:00:00-04:00'), d('2026-03-08T08:00:00-04:00'), d('2026-03-08T12:00:00-04:00')]),
    );
    expect(gapsInHours(runs)).toEqual([3, 4, 4]);
  });

  it("'0 */4 * * *' in Berlin: the hour gained in autumn lengthens one interval to 5 h", () => {
    const runs = nextRuns({ kind: 'cron', expression: '0 */4 * * *' }, BERLIN, d('2026-10-24T21:00:00+02:00'), 3);
    expect(iso(runs)).toEqual(iso([d('2026-10-25T00:00:00+02:00'), d('2026-10-25T04:00:00+01:00'), d('2026-10-25T08:00:00+01:00')]));
    expect(gapsInHours(runs)).toEqual([5, 4]);
  });

  it("'30 2 * * *' follows the same DST rules as daily 02:30", () => {
    const cron = { kind: 'cron', expression: '30 2 * * *' } as const;
    for (const [tz, from] of [
      [NY, '2026-03-06T12:00:00Z'],
      [NY, '2026-10-30T12:00:00Z'],
      [BERLIN, '2026-03-28T12:00:00Z'],
      [BERLIN, '2026-10-24T12:00:00Z'],
    ]) {
      expect(iso(nextRuns(cron, tz, d(from), 4))).toEqual(iso(nextRuns({ kind: 'daily', time: '02:30' }, tz, d(from), 4)));
    }
    expect(computeNextRun(cron, NY, d('2026-03-08T00:00:00-05:00'))).toEqual(d('2026-03-08T03:00:00-04:00'));
  });

  it('every 30 minutes through the New York repeated hour runs each wall time once', () => {
    expectRuns({ kind: 'cron', expression: '*/30 * * * *' }, NY, '2026-11-01T00:45:00-04:00', [
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:30:00-04:00',
      '2026-11-01T02:00:00-05:00', // 01:00 and 01:30 EST ran already, as EDT
      '2026-11-01T02:30:00-05:00',
    ]);
    expect(computeNextRun({ kind: 'cron', expression: '*/30 * * * *' }, NY, d('2026-11-01T01:10:00-05:00'))).toEqual(
      d('2026-11-01T02:00:00-05:00'),
    );
  });

  it('every 15 minutes through the New York spring gap: the gap collapses into one 03:00 run', () => {
    expectRuns({ kind: 'cron', expression: '*/15 * * * *' }, NY, '2026-03-08T01:40:00-05:00', [
      '2026-03-08T01:45:00-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-08T03:15:00-04:00',
    ]);
  });

  it('6-field expressions have seconds', () => {
    expectRuns({ kind: 'cron', expression: '*/20 * * * * *' }, BERLIN, '2026-06-01T12:00:05+02:00', [
      '2026-06-01T12:00:20+02:00',
      '2026-06-01T12:00:40+02:00',
      '2026-06-01T12:01:00+02:00',
    ]);
  });
});

const SCHEDULES: Schedule[] = [
  { kind: 'daily', time: '02:30' },
  { kind: 'daily', time: '01:30' },
  { kind: 'daily', time: '02:00' },
  { kind: 'weekly', time: '03:00', days: [0] },
  { kind: 'weekly', time: '02:30', days: [0, 3] },
  { kind: 'monthly', time: '02:30', day: 31 },
  { kind: 'hourly', everyHours: 1 },
  { kind: 'hourly', everyHours: 6 },
  { kind: 'hourly', everyHours: 7 },
  { kind: 'hourly', everyHours: 30 },
  { kind: 'cron', expression: '0 */4 * * *' },
  { kind: 'cron', expression: '30 2 * * *' },
  { kind: 'cron', expression: '*/30 1-3 * * *' },
];
const CHANGES: [string, string][] = [
  [NY, '2026-03-08T07:00:00Z'],
  [NY, '2026-11-01T06:00:00Z'],
  [BERLIN, '2026-03-29T01:00:00Z'],
  [BERLIN, '2026-10-25T01:00:00Z'],
];

// thousands of computations each: generous time on a loaded machine
describe('properties around every change', { timeout: 60_000 }, () => {
  it('the next 5 runs are strictly increasing, from any starting point in the two days around it', () => {
    for (const [tz, change] of CHANGES) {
      for (const schedule of SCHEDULES) {
        for (let offset = -24 * HOUR; offset <= 24 * HOUR; offset += 97 * MINUTE) {
          const after = new Date(Date.parse(change) + offset);
          const runs = nextRuns(schedule, tz, after, 5);
          expect(runs).toHaveLength(5);
          expect(runs[0].getTime()).toBeGreaterThan(after.getTime());
          for (let i = 1; i < runs.length; i++) expect(runs[i].getTime()).toBeGreaterThan(runs[i - 1].getTime());
        }
      }
    }
  });

  it('previousRun(x) <= x < computeNextRun(previousRun(x)) = computeNextRun(x)', () => {
    for (const [tz, change] of CHANGES) {
      for (const schedule of SCHEDULES) {
        for (let offset = -30 * HOUR; offset <= 30 * HOUR; offset += 41 * MINUTE) {
          const x = new Date(Date.parse(change) + offset);
          const previous = previousRun(schedule, tz, x)!;
          expect(previous).not.toBeNull();
          expect(previous.getTime()).toBeLessThanOrEqual(x.getTime());
          const next = computeNextRun(schedule, tz, previous)!;
          expect(next.getTime()).toBeGreaterThan(x.getTime());
          expect(next).toEqual(computeNextRun(schedule, tz, x));
        }
      }
    }
  });

  it('previousRun of a slot is the slot; a millisecond before, it is the slot before', () => {
    for (const [tz, change] of CHANGES) {
      for (const schedule of SCHEDULES) {
        const runs = nextRuns(schedule, tz, new Date(Date.parse(change) - 30 * HOUR), 6);
        for (let i = 1; i < runs.length; i++) {
          expect(previousRun(schedule, tz, runs[i])).toEqual(runs[i]);
          expect(previousRun(schedule, tz, new Date(runs[i].getTime() - 1))).toEqual(runs[i - 1]);
        }
      }
    }
  });
});

describe('manual schedules and validation', () => {
  it('a manual schedule never runs', () => {
    expect(computeNextRun({ kind: 'manual' }, NY, d('2026-01-01T00:00:00Z'))).toBeNull();
    expect(previousRun({ kind: 'manual' }, NY, d('2026-01-01T00:00:00Z'))).toBeNull();
    expect(nextRuns({ kind: 'manual' }, NY, d('2026-01-01T00:00:00Z'), 5)).toEqual([]);
  });

  it('an unknown time zone is a VALIDATION error that names the fix', () => {
    expectValidation(() => computeNextRun({ kind: 'daily', time: '02:00' }, 'Mars/Olympus_Mons', new Date()), /unknown time zone "Mars\/Olympus_Mons".*IANA/);
    expectValidation(() => previousRun({ kind: 'daily', time: '02:00' }, 'CEST', new Date()), /IANA/);
    expectValidation(() => validateSchedule({ kind: 'manual' }, 'Nowhere/City'), /time zone/);
    expect(() => validateSchedule({ kind: 'daily', time: '02:00' }, 'UTC')).not.toThrow();
  });

  it('a cron expression that does not parse, or never matches, is a VALIDATION error', () => {
    expectValidation(() => validateSchedule({ kind: 'cron', expression: '61 * * * *' }, 'UTC'), /cron expression "61 \* \* \* \*"/);
    expectValidation(() => validateSchedule({ kind: 'cron', expression: 'every day at two' }, 'UTC'), /cron expression/);
    expectValidation(() => validateSchedule({ kind: 'cron', expression: '0 0 0 * * * *' }, 'UTC'), /cron expression/);
    expectValidation(() => computeNextRun({ kind: 'cron', expression: '0 0 30 2 *' }, 'UTC', new Date()), /cron expression "0 0 30 2 \*"/);
    expect(() => validateSchedule({ kind: 'cron', expression: '0 2 * * 1-5' }, BERLIN)).not.toThrow();
  });
});
