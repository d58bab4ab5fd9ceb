/**
 * The tray icon, tooltip and taskbar progress as a pure function of the latest jobs, so that the
 * rules are tested on their own and the shell's tray only draws what this returns.
 */
import type { JobStatus, JobSummary } from '../../shared/job';

export type TrayIcon = 'idle' | 'running' | 'failed' | 'paused';

export interface TrayState {
  icon: TrayIcon;
  tooltip: string;
  /** 0..1 for the taskbar progress bar; null when nothing runs (the bar is removed) */
  progress: number | null;
}

const ACTIVE: readonly JobStatus[] = ['pending', 'running'];
const BAD: readonly JobStatus[] = ['failed', 'partial', 'interrupted'];

/** Windows truncates tray tooltips at 127 characters; cut them ourselves so the end is visible. */
export const TOOLTIP_MAX = 127;

function clip(text: string): string {
  return text.length <= TOOLTIP_MAX ? text : `${text.slice(0, TOOLTIP_MAX - 1)}…`;
}

function percentOf(job: JobSummary): number {
  const percent = job.progress?.percent ?? 0;
  return Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
}

function jobLabel(job: JobSummary): string {
  return job.planName ?? `${job.kind} job`;
}

function finishedTime(job: JobSummary): number {
  return Date.parse(job.finishedAt ?? job.startedAt) || 0;
}

/**
 * The key under which a job's result stands for "how is this plan doing". Kind is part of it:
 * a passing verify must not hide that the plan's last backup failed. Jobs without a plan (a
 * dropped file being verified) do not describe the health of any schedule and are left out.
 */
function healthKey(job: JobSummary): string | null {
  return job.planId ? `${job.planId}\u0000${job.kind}` : null;
}

/**
 * Newest result per plan and job kind. Cancelled jobs are skipped: a cancel says nothing about
 * whether the plan works, so it must neither raise nor clear a failure.
 */
function newestResults(jobs: JobSummary[]): JobSummary[] {
  const newest = new Map<string, JobSummary>();
  for (const job of jobs) {
    if (ACTIVE.includes(job.status) || job.status === 'cancelled') continue;
    const key = healthKey(job);
    if (!key) continue;
    const seen = newest.get(key);
    if (!seen || finishedTime(job) > finishedTime(seen)) newest.set(key, job);
  }
  return [...newest.values()];
}

/**
 * Computes the tray state. Order of precedence: something running (icon, tooltip with plan,
 * phase and percent, taskbar progress) > scheduler paused > the newest result of some plan is
 * failed / partial / interrupted > all well.
 */
export function computeTrayState(latestJobs: JobSummary[], paused: boolean): TrayState {
  const running = latestJobs.filter((j) => j.status === 'running');
  const pending = latestJobs.filter((j) => j.status === 'pending');

  if (running.length > 0) {
    // the job furthest from done leads the tooltip: that is the one the user waits for
    const lead = [...running].sort((a, b) => percentOf(a) - percentOf(b))[0]!;
    const phase = lead.progress?.phase ?? 'starting';
    let tooltip = `Lifeboat — ${jobLabel(lead)}: ${phase} ${Math.round(percentOf(lead))}%`;
    const others = running.length - 1 + pending.length;
    if (others > 0) tooltip += ` (${running.length + pending.length} jobs)`;
    const average = running.reduce((sum, j) => sum + percentOf(j), 0) / running.length / 100;
    return { icon: 'running', tooltip: clip(tooltip), progress: average };
  }

  if (pending.length > 0 && !paused) {
    // queued work is about to start: show it as running so the icon does not flicker to idle
    const tooltip =
      pending.length === 1
        ? `Lifeboat — ${jobLabel(pending[0]!)}: waiting to start`
        : `Lifeboat — ${pending.length} jobs waiting to start`;
    return { icon: 'running', tooltip: clip(tooltip), progress: 0 };
  }

  if (paused) {
    return { icon: 'paused', tooltip: 'Lifeboat — schedules paused', progress: null };
  }

  const failing = newestResults(latestJobs)
    .filter((j) => BAD.includes(j.status))
    .sort((a, b) => finishedTime(b) - finishedTime(a));
  if (failing.length > 0) {
    const names = [...new Set(failing.map(jobLabel))];
    const first = failing[0]!;
    const tooltip =
      names.length === 1
        ? `Lifeboat — last ${first.kind} of ${names[0]} ${first.status === 'partial' ? 'partly failed' : first.status}`
        : `Lifeboat — ${names.length} plans need attention: ${names.join(', ')}`;
    return { icon: 'failed', tooltip: clip(tooltip), progress: null };
  }

  return { icon: 'idle', tooltip: 'Lifeboat — all backups OK', progress: null };
}

/**
 * Folds a job update into the tray's working set, keeping only what computeTrayState needs:
 * every active job and the newest result per plan and kind. Bounded however long the app runs.
 */
export function mergeLatestJobs(latestJobs: JobSummary[], update: JobSummary): JobSummary[] {
  const merged = latestJobs.filter((j) => j.id !== update.id);
  merged.push(update);
  const keep = new Set(newestResults(merged).map((j) => j.id));
  return merged.filter((j) => ACTIVE.includes(j.status) || keep.has(j.id));
}
