import { describe, expect, it } from 'vitest';
import { formatSchedule, parseScheduleText } from '../../../src/main/cli/schedule-arg';
import { parseSince } from '../../../src/main/cli/time-arg';
import { AppError } from '../../../src/shared/errors';
import { scheduleSchema, type Schedule } from '../../../src/shared/plan';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

describe('parseScheduleText', () => {
  it.each([
    ['manual', { kind: 'manual' }],
    ['daily 02:00', { kind: 'daily', time: '02:00' }],
    ['daily 2:05', { kind: 'daily', time: '02:05' }],
    ['weekly mon,thu 02:30', { kind: 'weekly', days: [1, 4], time: '02:30' }],
    ['weekly thu,mon,thu 02:30', { kind: 'weekly', days: [1, 4], time: '02:30' }],
    ['weekly Sunday,SAT 23:59', { kind: 'weekly', days: [0, 6], time: '23:59' }],
    ['weekly mon-fri 06:00', { kind: 'weekly', days: [1, 2, 3, 4, 5], time: '06:00' }],
    ['weekly fri-mon 06:00', { kind: 'weekly', days: [0, 1, 5, 6], time: '06:00' }],
    ['monthly 1 02:00', { kind: 'monthly', day: 1, time: '02:00' }],
    ['monthly 31 00:00', { kind: 'monthly', day: 31, time: '00:00' }],
    ['every 6h', { kind: 'hourly', everyHours: 6 }],
    ['every 168h', { kind: 'hourly', everyHours: 168 }],
    ['hourly', { kind: 'hourly', everyHours: 1 }],
    ['  daily   04:15  ', { kind: 'daily', time: '04:15' }],
    ['cron:0 2 * * *', { kind: 'cron', expression: '0 2 * * *' }],
    ['cron: 30 1 * * 1-5', { kind: 'cron', expression: '30 1 * * 1-5' }],
  ])('reads %j', (text, schedule) => {
    const parsed = parseScheduleText(text);
    expect(parsed).toEqual(schedule);
    // what the app's schema accepts, unchanged
    expect(scheduleSchema.parse(parsed)).toEqual(parsed);
  });

  it.each([
    ['', 'not a schedule'],
    ['daily', 'daily takes a time'],
    ['daily 24:00', 'not a time of day'],
    ['daily 02:60', 'not a time of day'],
    ['daily 2pm', 'not a time of day'],
    ['weekly 02:00', 'weekly takes days and a time'],
    ['weekly mon,funday 02:00', '"funday" is not a week day'],
    ['monthly 0 02:00', 'day of the month (1-31)'],
    ['monthly 32 02:00', 'day of the month (1-31)'],
    ['every 0h', 'from 1 to 168'],
    ['every 169h', 'from 1 to 168'],
    ['every 6', 'from 1 to 168'],
    ['cron:', 'a cron expression has 5 fields'],
    ['fortnightly 02:00', 'not a schedule'],
    ['manual now', 'manual takes nothing'],
  ])('refuses %j naming the forms', (text, why) => {
    const error = thrown(() => parseScheduleText(text));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain(why);
    expect(error.message).toContain('daily HH:mm, weekly mon,thu HH:mm, monthly 1 HH:mm, every 6h, or cron:<expression>');
  });

  it('formats every kind so that parsing the text gives the schedule back', () => {
    const schedules: Schedule[] = [
      { kind: 'manual' },
      { kind: 'daily', time: '02:00' },
      { kind: 'weekly', days: [0, 3, 6], time: '21:45' },
      { kind: 'monthly', day: 15, time: '03:00' },
      { kind: 'hourly', everyHours: 12 },
      { kind: 'cron', expression: '*/15 * * * *' },
    ];
    expect(schedules.map((s) => formatSchedule(s))).toEqual(['manual', 'daily 02:00', 'weekly sun,wed,sat 21:45', 'monthly 15 03:00', 'every 12h', 'cron:*/15 * * * *']);
    for (const s of schedules) expect(parseScheduleText(formatSchedule(s))).toEqual(s);
  });
});

describe('parseSince', () => {
  const now = new Date('2026-03-10T12:00:00.000Z');
  it('reads ages counted back from now', () => {
    expect(parseSince('30m', now)).toBe('2026-03-10T11:30:00.000Z');
    expect(parseSince('12h', now)).toBe('2026-03-10T00:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2026-03-03T12:00:00.000Z');
    expect(parseSince('2w', now)).toBe('2026-02-24T12:00:00.000Z');
  });

  it('reads dates as local midnight, times as given', () => {
    expect(parseSince('2026-03-01', now)).toBe(new Date(2026, 2, 1).toISOString());
    expect(parseSince('today', now)).toBe(new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString());
    expect(parseSince('2026-03-01T10:00:00Z', now)).toBe('2026-03-01T10:00:00.000Z');
    expect(parseSince('2026-03-01 10:00', now)).toBe(new Date(2026, 2, 1, 10, 0).toISOString());
  });

  it('refuses anything else, naming the forms', () => {
    for (const text of ['soon', '7 days', '2026-02-30', '-3d', '']) {
      const error = thrown(() => parseSince(text, now));
      expect(error.code, text).toBe('VALIDATION');
      expect(error.message).toContain('give an age (30m, 12h, 7d, 2w)');
    }
  });
});
