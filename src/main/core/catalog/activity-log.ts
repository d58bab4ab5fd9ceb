/**
 * What happened, in the order it happened: the catalog's job rows (each one's start and, once it
 * ended, its end) and the audit log, merged by time. What `lifeboat logs` prints; `--follow`
 * reads it again every second and prints the events it has not printed yet (each has a key).
 */
import type { JobKind, JobSummary } from '../../../shared/job';
import type { AuditRepo } from './audit-repo';
import type { JobsRepo } from './jobs-repo';
import type { PlansRepo } from './plans-repo';

export interface ActivityEvent {
  /** unique to the event, stable across reads */
  key: string;
  /** ISO time */
  at: string;
  source: 'job' | 'audit';
  /** a job's 'started' or the status it ended with; an audit entry's action (plan.create, backup.prune, ...) */
  event: string;
  /** an audit entry's actor (user, cli, scheduler, system); a job's trigger */
  actor: string;
  jobId: string | null;
  kind: JobKind | null;
  planName: string | null;
  /** an audit entry's target (a plan or job id, a path) */
  target: string | null;
  /** a job's message, an audit entry's details as text */
  message: string | null;
  details: Record<string, unknown> | null;
}

export interface ActivityFilter {
  /** ISO time: only events at or after it */
  since?: string | null;
  /** only the events of this plan: its jobs (verifications of its backups too) and audit entries about it or its jobs */
  plan?: { id: string; name: string };
}

function parseDetails(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : { value };
  } catch {
    return { text };
  }
}

function jobEvents(job: JobSummary, since: string | null): ActivityEvent[] {
  const base = { source: 'job' as const, actor: job.trigger, jobId: job.id, kind: job.kind, planName: job.planName, target: null, details: null };
  const events: ActivityEvent[] = [];
  if (!since || job.startedAt >= since) events.push({ ...base, key: `job:${job.id}:started`, at: job.startedAt, event: 'started', message: null });
  if (job.finishedAt && (!since || job.finishedAt >= since)) {
    events.push({ ...base, key: `job:${job.id}:ended`, at: job.finishedAt, event: job.status, message: job.displayMessage });
  }
  return events;
}

/**
 * The events matching `filter`, oldest first (ties: in the order they were recorded). An audit
 * entry is given the name of the plan it is about: the one its details name, else the plan or job
 * its target or jobId is.
 */
export function readActivity(repos: { jobs: JobsRepo; audit: AuditRepo; plans: PlansRepo }, filter: ActivityFilter = {}): ActivityEvent[] {
  const since = filter.since ?? null;
  const plan = filter.plan;
  const ofPlan = (job: JobSummary) => !plan || job.planId === plan.id || (job.planId === null && job.planName === plan.name);
  const events = repos.jobs.touchedSince(since).filter(ofPlan).flatMap((job) => jobEvents(job, since));
  const jobPlans = new Map(repos.jobs.all({}).map((job) => [job.id, job]));
  const planNames = new Map(repos.plans.list().map((p) => [p.id, p.name]));
  const planNameOf = (id: unknown): string | null => {
    if (typeof id !== 'string') return null;
    return planNames.get(id) ?? jobPlans.get(id)?.planName ?? null;
  };
  for (const entry of repos.audit.since(since)) {
    const details = parseDetails(entry.details);
    // audit entries name a plan by its id or name, or one of its jobs by id
    if (plan) {
      const ofThisPlan = (id: unknown) => typeof id === 'string' && (id === plan.id || (jobPlans.has(id) && ofPlan(jobPlans.get(id)!)));
      const about = ofThisPlan(entry.target) || details?.plan === plan.name || details?.name === plan.name || ofThisPlan(details?.jobId);
      if (!about) continue;
    }
    events.push({
      key: `audit:${entry.id}`,
      at: entry.at,
      source: 'audit',
      event: entry.action,
      actor: entry.actor,
      jobId: typeof details?.jobId === 'string' ? details.jobId : null,
      kind: null,
      planName:
        typeof details?.plan === 'string'
          ? details.plan
          : typeof details?.name === 'string'
            ? details.name
            : (planNameOf(entry.target) ?? planNameOf(details?.jobId)),
      target: entry.target,
      message: entry.details,
      details,
    });
  }
  // a stable sort keeps the order each source recorded its events in for equal times
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
