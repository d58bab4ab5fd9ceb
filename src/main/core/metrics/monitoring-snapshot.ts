/**
 * What monitoring reads of the catalog, in one go: per plan its last run, last success, failure
 * streak, last proof of restorability and next run; per destination the bytes its backups use;
 * who holds the scheduler lease; and the health verdict (health.ts). The daemon's /metrics and
 * /healthz and `lifeboat status` all read this, so they never disagree.
 */
import os from 'node:os';
import type { Schedule } from '../../../shared/plan';
import { BackupHistoryRepo } from '../catalog/backup-history-repo';
import { JobStatsRepo } from '../catalog/job-stats-repo';
import { MonitoringRepo, type DestinationUsage } from '../catalog/monitoring-repo';
import { ScheduleStateRepo } from '../catalog/schedule-state-repo';
import { SchedulerLeaseRepo, type SchedulerLeaseHolder } from '../catalog/scheduler-lease-repo';
import type { CoreContext } from '../context';
import { isProcessAlive } from '../jobs/process-alive';
import { failureStreak, type BackupRun } from '../notify/alerts';
import { assessHealth, type Health } from './health';

export interface PlanMonitoring {
  id: string;
  name: string;
  enabled: boolean;
  schedule: Schedule;
  /** the newest finished backup run (cancelled ones included), or null if none finished yet */
  lastRun: BackupRun | null;
  /** when the newest successful backup started */
  lastSuccessAt: string | null;
  /** failed, partial or interrupted runs in a row at the newest end (cancelled ones skipped) */
  consecutiveFailures: number;
  /** the newest restore drill that passed over the plan's backups */
  provenAt: string | null;
  /** when the scheduler (whichever process holds the lease) armed the plan to run next */
  nextRunAt: string | null;
}

export interface MonitoringSnapshot {
  at: string;
  plans: PlanMonitoring[];
  destinations: DestinationUsage[];
  /** the live holder of the scheduler lease; null when no process runs the schedules */
  schedulerHolder: SchedulerLeaseHolder | null;
  health: Health;
}

export interface SnapshotOptions {
  now: Date;
  /** a lease holder silent for longer is not counted as running the schedules */
  leaseStaleAfterMs?: number;
}

/** Reads the monitoring snapshot of the catalog in one read transaction. */
export function readMonitoringSnapshot(ctx: Pick<CoreContext, 'catalog' | 'plans'>, options: SnapshotOptions): MonitoringSnapshot {
  const history = new BackupHistoryRepo(ctx.catalog);
  const stats = new JobStatsRepo(ctx.catalog);
  const monitoring = new MonitoringRepo(ctx.catalog);
  const state = new ScheduleStateRepo(ctx.catalog);
  const lease = new SchedulerLeaseRepo(ctx.catalog);
  return ctx.catalog.transaction((): MonitoringSnapshot => {
    const plans = ctx.plans.list();
    const lastSuccessByPlan = history.lastSuccessByPlan();
    const proven = stats.lastProvenByPlan();
    const nextRunAt = new Map(state.list().map((s) => [s.planId, s.nextRunAt]));
    const runsByPlan = new Map(plans.map((plan) => [plan.id, history.recentRuns(plan.id)]));
    // seen from this host but from no holder (the holder may be this very process): a row whose
    // heartbeat is old, or whose process on this host is dead, is nobody
    const live = lease.liveHolder(
      { holderId: '', pid: -1, host: os.hostname() },
      { now: options.now, isAlive: isProcessAlive, staleAfterMs: options.leaseStaleAfterMs },
    );
    return {
      at: options.now.toISOString(),
      plans: plans.map((plan) => {
        const runs = runsByPlan.get(plan.id) ?? [];
        const lastSuccess = lastSuccessByPlan.get(plan.id);
        return {
          id: plan.id,
          name: plan.name,
          enabled: plan.enabled,
          schedule: plan.schedule,
          lastRun: runs[0] ?? null,
          lastSuccessAt: lastSuccess ? lastSuccess.toISOString() : null,
          consecutiveFailures: failureStreak(runs).length,
          provenAt: proven[plan.id] ?? null,
          nextRunAt: plan.enabled && plan.schedule.kind !== 'manual' ? (nextRunAt.get(plan.id) ?? null) : null,
        };
      }),
      destinations: monitoring.destinationUsage(),
      schedulerHolder: live ?? null,
      health: assessHealth({ plans, runsByPlan, lastSuccessByPlan, now: options.now }),
    };
  })();
}
