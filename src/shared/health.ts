/**
 * "Is everything all right?" as one pure function of what the catalog says, so that the
 * Dashboard's banner and the sidebar's dot tell the same thing and the rules are tested on their
 * own (test/unit/shared/health.test.ts). The worst condition comes first, in words, with the
 * actions that fix it.
 */
import { formatRelativeTime, formatSince } from './format';
import type { JobKind, JobStatus, JobSummary } from './job';

export type HealthLevel = 'ok' | 'warn' | 'error';

/** What the banner offers next to a condition. */
export type HealthAction =
  | { kind: 'open-job'; jobId: string }
  | { kind: 'edit-plan'; planId: string }
  | { kind: 'pick-preset' }
  | { kind: 'resume' }
  | { kind: 'open-verify' };

export interface HealthIssue {
  level: Exclude<HealthLevel, 'ok'>;
  /** a sentence that names what is wrong and where */
  text: string;
  actions: HealthAction[];
}

export interface HealthState {
  level: HealthLevel;
  /** the worst condition's sentence, or "All backups OK" */
  headline: string;
  /** every condition, worst first (the first one is the headline) */
  issues: HealthIssue[];
}

export interface HealthInput {
  plans: readonly { id: string; name: string; enabled: boolean }[];
  /** each plan's newest backups, newest first (a few are enough: the streak is counted in them) */
  recentBackupsByPlan: Readonly<Record<string, readonly JobSummary[]>>;
  /** recent verifications, drills and restores, any result, newest first */
  recentChecks: readonly JobSummary[];
  /** pending and running jobs (with their stall, if any) */
  active: readonly JobSummary[];
  /** backups still on disk in the catalog (null: not known yet) */
  backupsOnDisk: number | null;
  scheduler: 'running' | 'paused' | 'stopped' | null;
  now: Date;
  /** a failed restore stops counting after this long; a failed check stays until a later one passes */
  restoreFailureMs?: number;
}

const BAD: readonly JobStatus[] = ['failed', 'partial', 'interrupted'];
const SETTLED: readonly JobStatus[] = ['success', 'failed', 'partial', 'interrupted'];
const DAY = 86_400_000;

const FAILED_WORDS: Record<JobKind, string> = {
  backup: 'Backup failed',
  verify: 'Verification failed',
  restore: 'Restore failed',
  drill: 'Drill failed',
};

/**
 * A failure labelled by what failed: "Backup failed", "Backup partly failed", "Restore failed",
 * "Drill failed", "Verification failed", "Backup interrupted". A restore of a plan's backup is
 * never shown as if the plan's backup had failed.
 */
export function failureLabel(job: Pick<JobSummary, 'kind' | 'status'>): string {
  const noun = FAILED_WORDS[job.kind].split(' ')[0]!;
  if (job.status === 'partial') return `${noun} partly failed`;
  if (job.status === 'interrupted') return `${noun} interrupted`;
  return FAILED_WORDS[job.kind];
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The failed runs in a row at the newest end (cancelled runs skipped): empty when the newest settled run passed. */
function failingStreak(recent: readonly JobSummary[]): JobSummary[] {
  const streak: JobSummary[] = [];
  for (const job of recent) {
    if (!SETTLED.includes(job.status)) continue;
    if (!BAD.includes(job.status)) break;
    streak.push(job);
  }
  return streak;
}

/** Newest settled result per backup file (or name) and kind: a later pass clears an earlier failure. */
function newestChecks(checks: readonly JobSummary[]): JobSummary[] {
  const newest = new Map<string, JobSummary>();
  for (const job of checks) {
    if (!SETTLED.includes(job.status)) continue;
    const key = `${job.kind}\u0000${job.filePath ?? job.planName ?? job.id}`;
    const seen = newest.get(key);
    if (!seen || (job.finishedAt ?? job.startedAt) > (seen.finishedAt ?? seen.startedAt)) newest.set(key, job);
  }
  return [...newest.values()].sort((a, b) => (b.finishedAt ?? b.startedAt).localeCompare(a.finishedAt ?? a.startedAt));
}

function failingPlansIssue(failing: { plan: HealthInput['plans'][number]; streak: JobSummary[] }[], now: Date): HealthIssue {
  const since = (streak: JobSummary[]) => formatSince(streak[streak.length - 1]!.startedAt, now);
  if (failing.length === 1) {
    const { plan, streak } = failing[0]!;
    const how = streak[0]!.status === 'partial' ? 'partly failing' : 'failing';
    return {
      level: 'error',
      text: `1 plan ${how} since ${since(streak)}: ${plan.name}`,
      actions: [
        { kind: 'open-job', jobId: streak[0]!.id },
        { kind: 'edit-plan', planId: plan.id },
      ],
    };
  }
  const names = failing.map(({ plan, streak }) => `${plan.name} (since ${since(streak)})`).join(', ');
  return {
    level: 'error',
    text: `${failing.length} plans failing: ${names}`,
    actions: [
      { kind: 'open-job', jobId: failing[0]!.streak[0]!.id },
      { kind: 'edit-plan', planId: failing[0]!.plan.id },
    ],
  };
}

/**
 * The health of the whole installation, worst first: plans whose newest backups failed (red),
 * failed verifications or restore drills not yet passed again (red: that backup is not known to
 * restore), the scheduler stopped (red), a job making no progress (amber), a recent failed
 * restore (amber), nothing backed up yet (amber), the schedules paused (amber). Otherwise OK.
 */
export function computeHealth(input: HealthInput): HealthState {
  const { now } = input;
  const issues: HealthIssue[] = [];

  const failing = input.plans
    .map((plan) => ({ plan, streak: failingStreak(input.recentBackupsByPlan[plan.id] ?? []) }))
    .filter((f) => f.streak.length > 0)
    // the longest-failing plan first: it has been wrong the longest
    .sort((a, b) => a.streak[a.streak.length - 1]!.startedAt.localeCompare(b.streak[b.streak.length - 1]!.startedAt));
  if (failing.length > 0) issues.push(failingPlansIssue(failing, now));

  const checks = newestChecks(input.recentChecks).filter((job) => BAD.includes(job.status));
  const failedChecks = checks.filter((job) => job.kind === 'verify' || job.kind === 'drill');
  if (failedChecks.length > 0) {
    const first = failedChecks[0]!;
    const what = failedChecks.length === 1 ? `${failureLabel(first)}: ${first.planName ?? 'a backup'}` : `${plural(failedChecks.length, 'check', 'checks')} of backups failed`;
    issues.push({
      level: 'error',
      text: `${what} — the backup is not proven to restore`,
      actions: [{ kind: 'open-job', jobId: first.id }, { kind: 'open-verify' }],
    });
  }

  if (input.scheduler === 'stopped') {
    issues.push({ level: 'error', text: 'The scheduler is stopped: no scheduled backup will run', actions: [] });
  }

  const stalled = input.active.filter((job) => job.status === 'running' && job.stall);
  for (const job of stalled) {
    const stall = job.stall!;
    const forMs = Math.max(0, now.getTime() - Date.parse(stall.since));
    const noun = job.kind === 'backup' ? 'A backup' : job.kind === 'restore' ? 'A restore' : job.kind === 'drill' ? 'A restore drill' : 'A verification';
    const minutes = Math.max(1, Math.round(forMs / 60_000));
    issues.push({
      level: 'warn',
      text: `${noun} has made no progress for ${minutes} min${job.planName ? `: ${job.planName}` : ''}${stall.waitingOn ? ` — waiting on ${stall.waitingOn}` : ''}`,
      actions: [{ kind: 'open-job', jobId: job.id }],
    });
  }

  const restoreCutoff = now.getTime() - (input.restoreFailureMs ?? DAY);
  const failedRestores = checks.filter((job) => job.kind === 'restore' && Date.parse(job.finishedAt ?? job.startedAt) >= restoreCutoff);
  if (failedRestores.length > 0) {
    const first = failedRestores[0]!;
    issues.push({
      level: 'warn',
      text:
        failedRestores.length === 1
          ? `A restore of ${first.planName ?? 'a backup'} failed ${formatRelativeTime(first.finishedAt ?? first.startedAt, now)}`
          : `${failedRestores.length} restores failed in the last day`,
      actions: [{ kind: 'open-job', jobId: first.id }],
    });
  }

  const anySuccess = Object.values(input.recentBackupsByPlan).some((jobs) => jobs.some((j) => j.status === 'success' || j.status === 'partial'));
  if (input.plans.length === 0 || (input.backupsOnDisk === 0 && !anySuccess)) {
    issues.push({
      level: 'warn',
      text: input.plans.length === 0 ? 'Nothing is backed up yet — pick a preset to start' : 'Nothing is backed up yet — run a plan now or wait for its schedule',
      actions: input.plans.length === 0 ? [{ kind: 'pick-preset' }] : [],
    });
  }

  if (input.scheduler === 'paused') {
    issues.push({ level: 'warn', text: 'Schedules are paused: no scheduled backup starts', actions: [{ kind: 'resume' }] });
  }

  const level: HealthLevel = issues.some((i) => i.level === 'error') ? 'error' : issues.length > 0 ? 'warn' : 'ok';
  // errors before warnings; within a level, the order above
  issues.sort((a, b) => (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1));
  return { level, headline: issues[0]?.text ?? 'All backups OK', issues };
}
