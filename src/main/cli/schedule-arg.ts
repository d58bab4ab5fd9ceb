/**
 * Schedules as the command line writes them, to and from the plan's Schedule:
 *   manual | daily HH:mm | weekly mon,thu HH:mm | monthly 1 HH:mm | every 6h | cron:<expression>
 * Week days are sun..sat (or their full names, or a range such as mon-fri). What the text means
 * (time zones, DST, a monthly day past the month's end) is next-run.ts's, as for the app's plans.
 */
import { AppError } from '../../shared/errors';
import { scheduleSchema, type Schedule } from '../../shared/plan';

export const SCHEDULE_FORMS = 'manual, daily HH:mm, weekly mon,thu HH:mm, monthly 1 HH:mm, every 6h, or cron:<expression>';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function invalid(text: string, why: string): AppError {
  return new AppError('VALIDATION', { detail: `--schedule "${text}": ${why}; write ${SCHEDULE_FORMS}` });
}

function dayNumber(name: string, text: string): number {
  const lower = name.toLowerCase();
  const index = DAY_NAMES.indexOf(lower) >= 0 ? DAY_NAMES.indexOf(lower) : FULL_DAY_NAMES.indexOf(lower);
  if (index < 0) throw invalid(text, `"${name}" is not a week day (sun, mon, tue, wed, thu, fri, sat)`);
  return index;
}

/** `mon,thu` or `mon-fri` or `sat,sun` as day numbers 0 (Sunday) .. 6, ascending. */
function parseDays(list: string, text: string): number[] {
  const days = new Set<number>();
  for (const part of list.split(',').filter(Boolean)) {
    const range = /^([a-z]+)-([a-z]+)$/i.exec(part);
    if (range) {
      const from = dayNumber(range[1]!, text);
      const to = dayNumber(range[2]!, text);
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
    } else {
      days.add(dayNumber(part, text));
    }
  }
  if (days.size === 0) throw invalid(text, 'name at least one week day');
  return [...days].sort((a, b) => a - b);
}

function parseTime(time: string | undefined, text: string): string {
  const match = time ? /^(\d{1,2}):(\d{2})$/.exec(time) : null;
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59) throw invalid(text, `"${time ?? ''}" is not a time of day as HH:mm (00:00 to 23:59)`);
  return `${match[1]!.padStart(2, '0')}:${match[2]}`;
}

/** Parses a schedule written as on the command line; VALIDATION naming the forms when it is not one. */
export function parseScheduleText(text: string): Schedule {
  const trimmed = text.trim();
  if (/^cron:/i.test(trimmed)) {
    const expression = trimmed.slice('cron:'.length).trim();
    const parsed = scheduleSchema.safeParse({ kind: 'cron', expression });
    if (!parsed.success) throw invalid(text, 'a cron expression has 5 fields (minute hour day month weekday), for example cron:0 2 * * *');
    return parsed.data;
  }
  const words = trimmed.split(/\s+/);
  const kind = words[0]?.toLowerCase();
  switch (kind) {
    case 'manual':
      if (words.length !== 1) throw invalid(text, 'manual takes nothing after it');
      return { kind: 'manual' };
    case 'daily':
      if (words.length !== 2) throw invalid(text, 'daily takes a time, as in daily 02:00');
      return { kind: 'daily', time: parseTime(words[1], text) };
    case 'weekly':
      if (words.length !== 3) throw invalid(text, 'weekly takes days and a time, as in weekly mon,thu 02:00');
      return { kind: 'weekly', days: parseDays(words[1]!, text), time: parseTime(words[2], text) };
    case 'monthly': {
      if (words.length !== 3 || !/^\d{1,2}$/.test(words[1]!) || Number(words[1]) < 1 || Number(words[1]) > 31) {
        throw invalid(text, 'monthly takes a day of the month (1-31) and a time, as in monthly 1 02:00');
      }
      return { kind: 'monthly', day: Number(words[1]), time: parseTime(words[2], text) };
    }
    case 'hourly':
      if (words.length !== 1) throw invalid(text, 'hourly takes nothing after it; for every N hours write every Nh');
      return { kind: 'hourly', everyHours: 1 };
    case 'every': {
      const match = /^(\d{1,3})h$/i.exec(words.slice(1).join(''));
      const hours = match ? Number(match[1]) : NaN;
      if (!(hours >= 1 && hours <= 168)) throw invalid(text, 'every takes a number of hours from 1 to 168, as in every 6h');
      return { kind: 'hourly', everyHours: hours };
    }
    default:
      throw invalid(text, 'not a schedule');
  }
}

/** The command-line text of a schedule (parseScheduleText reads it back to the same schedule). */
export function formatSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'manual':
      return 'manual';
    case 'daily':
      return `daily ${schedule.time}`;
    case 'weekly':
      return `weekly ${schedule.days.map((d) => DAY_NAMES[d]).join(',')} ${schedule.time}`;
    case 'monthly':
      return `monthly ${schedule.day} ${schedule.time}`;
    case 'hourly':
      return `every ${schedule.everyHours}h`;
    case 'cron':
      return `cron:${schedule.expression}`;
  }
}
