import { afterEach, describe, expect, it } from 'vitest';
import { dayLabel, labelDays, localTimeZone } from '../../../src/renderer/src/lib/dashboard-stats';

// the figures themselves are counted in main: test/unit/catalog/job-stats-repo.test.ts
const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

/** The far ends of the zones: a day key read as a UTC instant would show the day before in one of them. */
const ZONES = ['Pacific/Kiritimati', 'America/Los_Angeles', 'Pacific/Pago_Pago', 'UTC'];

describe('dayLabel', () => {
  it('labels the calendar day of the key, whatever the zone the renderer runs in', () => {
    for (const zone of ZONES) {
      process.env.TZ = zone;
      // a local Date of that calendar day is the same day in any zone
      expect(dayLabel('2026-03-04')).toBe(new Date(2026, 2, 4).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }));
      expect(dayLabel('2026-12-31')).toBe(new Date(2026, 11, 31).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }));
    }
  });

  it('labels the days around a DST change as the days they are', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(['2026-03-28', '2026-03-29', '2026-03-30'].map(dayLabel)).toEqual(
      [28, 29, 30].map((d) => new Date(2026, 2, d).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })),
    );
  });
});

describe('labelDays', () => {
  it('keeps every point and its order, adding the label', () => {
    const days = [
      { day: '2026-03-29', runs: 0, avgSizeBytes: null, avgDurationMs: null },
      { day: '2026-03-30', runs: 2, avgSizeBytes: 1500, avgDurationMs: 60_000 },
    ];
    expect(labelDays(days)).toEqual([
      { ...days[0], label: dayLabel('2026-03-29') },
      { ...days[1], label: dayLabel('2026-03-30') },
    ]);
  });
});

describe('localTimeZone', () => {
  it('is the IANA name of the zone the renderer runs in, which main cuts the days by', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(localTimeZone()).toBe('Europe/Berlin');
    process.env.TZ = 'America/New_York';
    expect(localTimeZone()).toBe('America/New_York');
  });
});
