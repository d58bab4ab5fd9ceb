/**
 * Whether the catalog's scheduled backups are healthy: the one rule behind the daemon's
 * `/healthz` (200 or 503) and the exit code of `lifeboat status` (0 or 1). Pure: the plans, their
 * recent runs and the time in, the verdict and its reasons out.
 *
 * Only enabled plans with a schedule count (a manual or disabled plan runs when someone asks; no
 * monitor should page for it). Such a plan is unhealthy when
 * - it is overdue: no successful backup within twice its schedule's interval (or since it was
 *   created), the rule of the overdue alert (notify/alerts.ts overduePlans); or
 * - it failed twice in a row: its newest finished runs are at least two failed, partial or
 *   interrupted runs, cancelled runs skipped (the consecutive-failures alert's threshold).
 *   One failure alone is not enough: a single run can fail for a passing reason (the database
 *   restarting at 02:00) and the next slot usually fixes it; two in a row mean the cause stays.
 *   A monitor that wants to page at the first failure can use the
 *   lifeboat_plan_consecutive_failures metric.
 */
import type { Plan } from '../../../shared/plan';
import { ALERT_LIMITS, failureStreak, overduePlans, type BackupRun } from '../notify/alerts';

export type HealthPlan = Pick<Plan, 'id' | 'name' | 'enabled' | 'schedule' | 'createdAt'>;

export interface HealthInput {
  plans: readonly HealthPlan[];
  /** each plan's finished backup runs, newest first (enough of them to see a failure streak) */
  runsByPlan: ReadonlyMap<string, readonly BackupRun[]>;
  /** each plan's newest successful backup */
  lastSuccessByPlan: ReadonlyMap<string, Date>;
  now: Date;
}

export interface HealthReason {
  planId: string;
  planName: string;
  kind: 'overdue' | 'failing';
  /** one line for a person (what /healthz and `lifeboat status` print) */
  message: string;
}

export interface Health {
  ok: boolean;
  reasons: HealthReason[];
}

/** Failed runs in a row that make a plan unhealthy. */
export const FAILURES_IN_A_ROW_UNHEALTHY = ALERT_LIMITS.consecutiveFailures;

/** Decides health; see the file header for the rule. */
export function assessHealth(input: HealthInput): Health {
  const scheduled = input.plans.filter((plan) => plan.enabled && plan.schedule.kind !== 'manual');
  const reasons: HealthReason[] = [];
  for (const overdue of overduePlans(scheduled, input.lastSuccessByPlan, input.now)) {
    reasons.push({ planId: overdue.planId, planName: overdue.planName, kind: 'overdue', message: overdue.message });
  }
  for (const plan of scheduled) {
    const streak = failureStreak(input.runsByPlan.get(plan.id) ?? []);
    if (streak.length < FAILURES_IN_A_ROW_UNHEALTHY) continue;
    reasons.push({
      planId: plan.id,
      planName: plan.name,
      kind: 'failing',
      message: `"${plan.name}" has failed ${streak.length} runs in a row (the last at ${streak[0].startedAt}). See its history for why.`,
    });
  }
  reasons.sort((a, b) => a.planName.localeCompare(b.planName) || a.kind.localeCompare(b.kind));
  return { ok: reasons.length === 0, reasons };
}
