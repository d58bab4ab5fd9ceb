/**
 * How many jobs may run at once (SPEC §2: at most N, default 2): a setting of the catalog, so
 * that the app and the `lifeboat daemon` on one data folder honour the same number. The job
 * runner reads it each time it starts a job.
 */
import { DEFAULT_CONCURRENT_JOBS, DEFAULT_STALL_MINUTES, MAX_CONCURRENT_JOBS, MAX_STALL_MINUTES, MIN_CONCURRENT_JOBS } from '../../../shared/notify';
import type { SettingsRepo } from '../catalog/settings-repo';

/** Catalog settings key of the number of jobs that may run at once. */
export const MAX_CONCURRENT_JOBS_KEY = 'jobs.maxConcurrent';

/** A whole number in 1-8; anything else (a hand-edited catalog) is the default. */
export function clampConcurrentJobs(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_CONCURRENT_JOBS;
  return Math.min(MAX_CONCURRENT_JOBS, Math.max(MIN_CONCURRENT_JOBS, Math.floor(value)));
}

export function readMaxConcurrentJobs(settings: SettingsRepo): number {
  try {
    return clampConcurrentJobs(settings.get<unknown>(MAX_CONCURRENT_JOBS_KEY, DEFAULT_CONCURRENT_JOBS));
  } catch {
    // a catalog being closed: the default until it is open again
    return DEFAULT_CONCURRENT_JOBS;
  }
}

export function writeMaxConcurrentJobs(settings: SettingsRepo, value: number): number {
  const clamped = clampConcurrentJobs(value);
  settings.set(MAX_CONCURRENT_JOBS_KEY, clamped);
  return clamped;
}

/** Catalog settings key of the minutes without progress after which a running job is stalled. */
export const STALL_MINUTES_KEY = 'jobs.stallMinutes';

function clampStallMinutes(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_STALL_MINUTES;
  return Math.min(MAX_STALL_MINUTES, Math.max(1, Math.floor(value)));
}

export function readStallMinutes(settings: SettingsRepo): number {
  try {
    return clampStallMinutes(settings.get<unknown>(STALL_MINUTES_KEY, DEFAULT_STALL_MINUTES));
  } catch {
    return DEFAULT_STALL_MINUTES;
  }
}

export function writeStallMinutes(settings: SettingsRepo, value: number): number {
  const clamped = clampStallMinutes(value);
  settings.set(STALL_MINUTES_KEY, clamped);
  return clamped;
}
