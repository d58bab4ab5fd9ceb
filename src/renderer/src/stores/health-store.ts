/**
 * What the health banner and the sidebar dot are computed from (src/shared/health.ts): each
 * plan's newest backups, the recent verifications, drills and restores, the newest failures of
 * every kind, and whether any backup is on disk. Reloaded when a job finishes.
 */
import { useEffect, useState } from 'react';
import { create } from 'zustand';
import { computeHealth, type HealthState } from '../../../shared/health';
import type { JobSummary } from '../../../shared/job';
import { call } from '../lib/api';
import { useJobsStore } from './jobs-store';
import { usePlansStore } from './plans-store';
import { useSchedulerStore } from './scheduler-store';

interface HealthData {
  recentBackupsByPlan: Record<string, JobSummary[]>;
  recentChecks: JobSummary[];
  /** the newest failed, partial and interrupted jobs of every kind, newest first */
  failures: JobSummary[];
  backupsOnDisk: number | null;
}

interface HealthStore extends HealthData {
  loaded: boolean;
  load(planIds: string[]): Promise<void>;
}

let seq = 0;

export const useHealthStore = create<HealthStore>()((set) => ({
  recentBackupsByPlan: {},
  recentChecks: [],
  failures: [],
  backupsOnDisk: null,
  loaded: false,
  async load(planIds) {
    const mine = ++seq;
    try {
      const [perPlan, checks, failures, onDisk] = await Promise.all([
        Promise.all(planIds.map((planId) => call('jobs/list', { planId, kind: 'backup', page: 1, pageSize: 10 }))),
        Promise.all((['verify', 'drill', 'restore'] as const).map((kind) => call('jobs/list', { kind, page: 1, pageSize: 20 }))),
        call('jobs/list', { statuses: ['failed', 'partial', 'interrupted'], page: 1, pageSize: 8 }),
        call('jobs/list', { kind: 'backup', statuses: ['success', 'partial'], onDisk: true, page: 1, pageSize: 1 }),
      ]);
      if (mine !== seq) return;
      const recentBackupsByPlan: Record<string, JobSummary[]> = {};
      planIds.forEach((id, i) => (recentBackupsByPlan[id] = perPlan[i]!.items));
      set({
        recentBackupsByPlan,
        recentChecks: checks.flatMap((page) => page.items),
        failures: failures.items,
        backupsOnDisk: onDisk.total,
        loaded: true,
      });
    } catch {
      // the banner keeps what it had; the screens show their own errors
    }
  },
}));

/** Keeps the health data current: on start, when the plans change and when a job finishes. */
export function useHealthLoader(): void {
  const planIds = usePlansStore((s) => s.plans.map((p) => p.id).join(','));
  const finishedCount = useJobsStore((s) => s.finishedCount);
  const load = useHealthStore((s) => s.load);
  useEffect(() => {
    void load(planIds ? planIds.split(',') : []);
  }, [planIds, finishedCount, load]);
}

/** The health now; re-computed every 30 s so that "no progress for N min" keeps counting. */
export function useHealth(): HealthState | null {
  const plans = usePlansStore((s) => s.plans);
  const plansLoaded = usePlansStore((s) => s.loaded);
  const active = useJobsStore((s) => s.active);
  const scheduler = useSchedulerStore((s) => s.status?.state ?? null);
  const data = useHealthStore();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 30_000);
    return () => clearInterval(timer);
  }, []);
  if (!plansLoaded || !data.loaded) return null;
  return computeHealth({
    plans,
    recentBackupsByPlan: data.recentBackupsByPlan,
    recentChecks: data.recentChecks,
    active: Object.values(active),
    backupsOnDisk: data.backupsOnDisk,
    scheduler,
    now,
  });
}
