/**
 * The Verify screen's data: the verification results (newest first, with counts over all of
 * them), the latest result per catalog backup, and the jobs started from the screen. Reloaded
 * when a job finishes (the screen calls refresh on the jobs store's finishedCount).
 */
import { create } from 'zustand';
import type { InvokeRequest } from '../../../shared/ipc-contract';
import type { RestoreInvokeResponses, VerificationStats, VerificationSummary } from '../../../shared/restore';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

export const RESULTS_PAGE_SIZE = 20;

export interface BackupVerification {
  /** the newest check of the backup's own file (a check of a copy elsewhere when there is none) */
  latest: VerificationSummary | null;
  latestDrill: VerificationSummary | null;
  /** the newest passed drill */
  lastProvenAt: string | null;
}

type RunAll = RestoreInvokeResponses['verify/run-all'];

interface VerifyState {
  /** bumped by refresh: per-backup results of an older generation are reloaded */
  generation: number;
  page: number;
  items: VerificationSummary[];
  total: number;
  stats: VerificationStats | null;
  loaded: boolean;
  error: UiError | null;
  /** backup job id → the verification or drill job started for it here */
  started: Record<string, string>;
  runAll: RunAll | null;
  actionError: UiError | null;
  load(): Promise<void>;
  setPage(page: number): void;
  refresh(): void;
  verifyBackup(backupJobId: string): Promise<void>;
  verifyAll(): Promise<void>;
  /** throws, so that the drill form can show the error next to its fields */
  drill(backupJobId: string, server: InvokeRequest<'verify/drill'>['server']): Promise<string>;
  dismissActionError(): void;
}

let loadSeq = 0;

export const useVerifyStore = create<VerifyState>()((set, get) => ({
  generation: 0,
  page: 1,
  items: [],
  total: 0,
  stats: null,
  loaded: false,
  error: null,
  started: {},
  runAll: null,
  actionError: null,

  async load() {
    const seq = ++loadSeq;
    try {
      const result = await call('verify/list', { page: get().page, pageSize: RESULTS_PAGE_SIZE });
      if (seq !== loadSeq) return;
      set({ items: result.items, total: result.total, stats: result.stats, loaded: true, error: null });
    } catch (error) {
      if (seq === loadSeq) set({ loaded: true, error: toUiError(error) });
    }
  },

  setPage(page) {
    set({ page: Math.max(1, page) });
    void get().load();
  },

  refresh() {
    set((s) => ({ generation: s.generation + 1 }));
    void get().load();
  },

  async verifyBackup(backupJobId) {
    set({ actionError: null });
    try {
      const { jobId } = await call('verify/run', { jobId: backupJobId });
      set((s) => ({ started: { ...s.started, [backupJobId]: jobId } }));
    } catch (error) {
      set({ actionError: toUiError(error) });
    }
  },

  async verifyAll() {
    set({ actionError: null, runAll: null });
    try {
      const runAll = await call('verify/run-all');
      set({ runAll });
    } catch (error) {
      set({ actionError: toUiError(error) });
    }
  },

  async drill(backupJobId, server) {
    const { jobId } = await call('verify/drill', { backupJobId, server });
    set((s) => ({ started: { ...s.started, [backupJobId]: jobId } }));
    return jobId;
  },

  dismissActionError() {
    set({ actionError: null });
  },
}));

/** One request per backup and generation, shared by the cells of its row. */
const perBackup = new Map<string, Promise<BackupVerification>>();

/** The latest check and drill of one catalog backup. */
export function loadBackupVerification(backupJobId: string, filePath: string | null, generation: number): Promise<BackupVerification> {
  const key = `${generation}:${backupJobId}`;
  let promise = perBackup.get(key);
  if (!promise) {
    // only the current generation is worth keeping
    for (const k of perBackup.keys()) if (!k.startsWith(`${generation}:`)) perBackup.delete(k);
    promise = Promise.all([
      call('verify/list', { backupJobId, drill: false, pageSize: 10 }),
      call('verify/list', { backupJobId, drill: true, pageSize: 1 }),
    ]).then(([checks, drills]) => ({
      latest: checks.items.find((v) => v.filePath === filePath) ?? checks.items[0] ?? null,
      latestDrill: drills.items[0] ?? null,
      lastProvenAt: drills.stats.lastProvenAt,
    }));
    promise.catch(() => perBackup.delete(key));
    perBackup.set(key, promise);
  }
  return promise;
}
