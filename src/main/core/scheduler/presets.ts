import { IANAZone } from 'luxon';
import type { PlanPreset } from '../../../shared/ipc-contract';

const keepDays = (days: number) => ({ days, maxCount: null, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 });

const defaultOptions = {
  compressionLevel: 1,
  encrypt: true,
  verifyAfter: true,
  retries: { count: 2, backoffSeconds: 30 },
};

/** The machine's own IANA zone: presets run at 02:00 where the admin is, not 02:00 UTC. */
export function localTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && IANAZone.isValidZone(zone) ? zone : 'UTC';
}

/**
 * The plans offered on first run (SPEC §1), shaped like plans/save input without sources and
 * destination, which the renderer fills in.
 */
export function planPresets(timezone = localTimeZone()): PlanPreset[] {
  return [
    {
      id: 'daily-full',
      title: 'Daily full backup',
      description: 'Everything, every night at 02:00, kept for 7 days.',
      sources: 'databases-and-folders',
      plan: {
        name: 'Daily full backup',
        enabled: true,
        type: 'full',
        databases: [],
        folders: [],
        schedule: { kind: 'daily', time: '02:00' },
        timezone,
        retention: keepDays(7),
        options: { ...defaultOptions },
      },
    },
    {
      id: 'weekly-incremental',
      title: 'Weekly incremental backup',
      description: 'Files changed since the last backup, every Sunday at 03:00, kept for 30 days.',
      sources: 'databases-and-folders',
      plan: {
        name: 'Weekly incremental backup',
        enabled: true,
        type: 'incremental',
        databases: [],
        folders: [],
        schedule: { kind: 'weekly', time: '03:00', days: [0] },
        timezone,
        retention: keepDays(30),
        options: { ...defaultOptions },
      },
    },
    {
      id: 'database-daily',
      title: 'Daily database backup',
      description: 'Databases only, every night at 01:00, kept for 14 days.',
      sources: 'databases',
      plan: {
        name: 'Daily database backup',
        enabled: true,
        type: 'full',
        databases: [],
        folders: [],
        schedule: { kind: 'daily', time: '01:00' },
        timezone,
        retention: keepDays(14),
        options: { ...defaultOptions },
      },
    },
  ];
}
