/**
 * The tray icon, tooltip, menu status line and taskbar progress as a pure function of the latest
 * jobs, so that the rules are tested on their own and the shell's tray only draws what this
 * returns.
 */
import type { JobKind, JobStatus, JobSummary } from '../../shared/job';

export type TrayIcon = 'idle' | 'running' | 'failed' | 'paused';

/**
 * The taskbar / dock bar: `normal` shows `progress` (0..1), `indeterminate` a busy bar (jobs
 * queued, none started), `error` a red bar (the newest result of something failed), `none` no bar.
 */
export type TaskbarMode = 'none' | 'normal' | 'indeterminate' | 'error';

export interface TaskbarState {
  mode: TaskbarMode;
  /** 0..1; meaningful for `normal` only (1 for `error`, 0 otherwise) */
  progress: number;
}

/** A job the tray menu can cancel. */
export interface TrayActiveJob {
  id: string;
  /** e.g. "Backup of Nightly", "Verify of nightly-2025-01-01.lifeboat" */
  label: string;
  status: 'pending' | 'running';
}

export interface TrayState {
  icon: TrayIcon;
  tooltip: string;
  /**
   * The same news as the tooltip without the app name, for the first line of the tray menu:
   * Linux status areas (AppIndicator) never show tooltips.
   */
  statusLine: string;
  taskbar: TaskbarState;
  /** the newest failed result (Open last failure); null when nothing needs attention */
  lastFailureJobId: string | null;
  /** every pending or running job, the one furthest from done first (Cancel) */
  activeJobs: TrayActiveJob[];
}

const ACTIVE: readonly JobStatus[] = ['pending', 'running'];
const BAD: readonly JobStatus[] = ['failed', 'partial', 'interrupted'];

/** Windows truncates tray tooltips at 127 characters; cut them ourselves so the end is visible. */
export const TOOLTIP_MAX = 127;
/** A menu item wider than this pushes the tray menu across the screen. */
export const STATUS_LINE_MAX = 90;

const KIND_LABEL: Record<JobKind, string> = { backup: 'Backup', verify: 'Verification', restore: 'Restore', drill: 'Restore drill' };

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function percentOf(job: JobSummary): number {
  const percent = job.progress?.percent ?? 0;
  return Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
}

/** The plan's name; for a verification, drill or restore, the backup's plan name or file name. */
function jobLabel(job: JobSummary): string {
  return job.planName ?? `${job.kind} job`;
}

function finishedTime(job: JobSummary): number {
  return Date.parse(job.finishedAt ?? job.startedAt) || 0;
}

/**
 * The key under which a job's result stands for "is this still wrong". Kind is part of it: a
 * passing verify must not hide that the plan's last backup failed. Verifications, drills and
 * restores carry no plan id: they stand for the backup file they read (or, failing that, the
 * name they carry), so that a later passing check of the same file clears a failed one.
 */
function healthKey(job: JobSummary): string {
  if (job.planId) return `plan\u0000${job.planId}\u0000${job.kind}`;
  return `file\u0000${job.kind}\u0000${job.filePath ?? job.planName ?? job.id}`;
}

/**
 * Newest result per plan (or backup file) and job kind. Cancelled jobs are skipped: a cancel says
 * nothing about whether the plan works, so it must neither raise nor clear a failure.
 */
function newestResults(jobs: JobSummary[]): JobSummary[] {
  const newest = new Map<string, JobSummary>();
  for (const job of jobs) {
    if (ACTIVE.includes(job.status) || job.status === 'cancelled') continue;
    const key = healthKey(job);
    const seen = newest.get(key);
    if (!seen || finishedTime(job) > finishedTime(seen)) newest.set(key, job);
  }
  return [...newest.values()];
}

/** "last backup of Nightly failed", "3 need attention: Nightly, Weekly, a.lifeboat" */
function failureText(failing: JobSummary[]): string {
  const names = [...new Set(failing.map(jobLabel))];
  const first = failing[0]!;
  if (names.length === 1) {
    const what = first.kind === 'drill' ? 'restore drill' : first.kind === 'verify' ? 'verification' : first.kind;
    return `last ${what} of ${names[0]} ${first.status === 'partial' ? 'partly failed' : first.status}`;
  }
  return `${names.length} need attention: ${names.join(', ')}`;
}

/** "Backup of Nightly", "Restore drill of a.lifeboat": a job named for a menu or a dialog. */
export function describeJob(job: Pick<JobSummary, 'kind' | 'planName'>): string {
  return `${KIND_LABEL[job.kind]} of ${job.planName ?? `${job.kind} job`}`;
}

function activeJobsOf(running: JobSummary[], pending: JobSummary[]): TrayActiveJob[] {
  return [...running, ...pending].map((job) => ({
    id: job.id,
    label: describeJob(job),
    status: job.status === 'running' ? 'running' : 'pending',
  }));
}

function state(
  icon: TrayIcon,
  news: string,
  taskbar: TaskbarState,
  lastFailureJobId: string | null,
  activeJobs: TrayActiveJob[],
): TrayState {
  return {
    icon,
    tooltip: clip(`Lifeboat — ${news}`, TOOLTIP_MAX),
    statusLine: clip(capitalize(news), STATUS_LINE_MAX),
    taskbar,
    lastFailureJobId,
    activeJobs,
  };
}

/**
 * Computes the tray state. Order of precedence for the icon: something running (tooltip with
 * plan, phase and percent, taskbar progress) > scheduler paused > the newest result of some plan
 * or backup file is failed / partial / interrupted (backups, verifications, drills and restores
 * alike) > all well. A failure hidden by a pause is still named in the text, and Open last
 * failure is offered whatever the icon.
 */
export function computeTrayState(latestJobs: JobSummary[], paused: boolean): TrayState {
  // the job furthest from done leads: that is the one the user waits for
  const running = latestJobs.filter((j) => j.status === 'running').sort((a, b) => percentOf(a) - percentOf(b));
  const pending = latestJobs.filter((j) => j.status === 'pending');
  const active = activeJobsOf(running, pending);
  const failing = newestResults(latestJobs)
    .filter((j) => BAD.includes(j.status))
    .sort((a, b) => finishedTime(b) - finishedTime(a));
  const lastFailureJobId = failing[0]?.id ?? null;

  if (running.length > 0) {
    // a stalled job leads: it is the one that needs a look (jobs/stall-watch.ts)
    const lead = running.find((j) => j.stall) ?? running[0]!;
    const phase = lead.progress?.phase ?? 'starting';
    let news = lead.stall
      ? `${jobLabel(lead)}: stalled${lead.stall.waitingOn ? `, waiting on ${lead.stall.waitingOn}` : ` at ${phase} ${Math.round(percentOf(lead))}%`}`
      : `${jobLabel(lead)}: ${phase} ${Math.round(percentOf(lead))}%`;
    const others = running.length - 1 + pending.length;
    if (others > 0) news += ` (${running.length + pending.length} jobs)`;
    const average = running.reduce((sum, j) => sum + percentOf(j), 0) / running.length / 100;
    return state('running', news, { mode: 'normal', progress: average }, lastFailureJobId, active);
  }

  if (pending.length > 0 && !paused) {
    // queued work is about to start: show it as running so the icon does not flicker to idle
    const news = pending.length === 1 ? `${jobLabel(pending[0]!)}: waiting to start` : `${pending.length} jobs waiting to start`;
    return state('running', news, { mode: 'indeterminate', progress: 0 }, lastFailureJobId, active);
  }

  if (paused) {
    const news = failing.length > 0 ? `schedules paused · ${failureText(failing)}` : 'schedules paused';
    return state('paused', news, { mode: 'none', progress: 0 }, lastFailureJobId, active);
  }

  if (failing.length > 0) {
    return state('failed', failureText(failing), { mode: 'error', progress: 1 }, lastFailureJobId, active);
  }

  return state('idle', 'all backups OK', { mode: 'none', progress: 0 }, null, active);
}

/** How many passing results the working set keeps (every backup file verified adds one). */
export const MAX_KEPT_RESULTS = 200;

/**
 * Folds a job update into the tray's working set, keeping only what computeTrayState needs:
 * every active job, every failing newest result, and the newest passing results per plan (or
 * backup file) and kind, at most MAX_KEPT_RESULTS of them: bounded however long the app runs.
 */
export function mergeLatestJobs(latestJobs: JobSummary[], update: JobSummary): JobSummary[] {
  const merged = latestJobs.filter((j) => j.id !== update.id);
  merged.push(update);
  const results = newestResults(merged);
  const passing = results.filter((j) => !BAD.includes(j.status)).sort((a, b) => finishedTime(b) - finishedTime(a));
  const keep = new Set([...results.filter((j) => BAD.includes(j.status)), ...passing.slice(0, MAX_KEPT_RESULTS)].map((j) => j.id));
  return merged.filter((j) => ACTIVE.includes(j.status) || keep.has(j.id));
}
