/**
 * Jobs: the History page (filtered, paged), the selected job's detail, and the jobs that are
 * pending or running right now (for the dashboard, plans and history progress). Kept current
 * by 'jobs/updated', which main pushes at each status change and about once a second while a
 * job makes progress.
 */
import { create } from 'zustand';
import { FINAL_STATUSES, type JobDetail, type JobSort, type JobStatus, type JobSummary } from '../../../shared/job';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

/** The table is virtualized (only the rows in view are in the DOM), so a page can be long. */
export const HISTORY_PAGE_SIZE = 100;

export interface JobsFilter {
  planId?: string;
  status?: JobStatus;
  search?: string;
  sort?: JobSort;
  sortDir?: 'asc' | 'desc';
}

interface JobsState {
  filter: JobsFilter;
  page: number;
  items: JobSummary[];
  total: number;
  loaded: boolean;
  loading: boolean;
  error: UiError | null;
  /** pending and running jobs by id */
  active: Record<string, JobSummary>;
  selectedId: string | null;
  detail: JobDetail | null;
  detailError: UiError | null;
  /** bumped whenever a job reaches a final status, so summaries (dashboard) know to reload */
  finishedCount: number;
  load(): Promise<void>;
  setFilter(patch: Partial<JobsFilter>): void;
  clearFilter(): void;
  setPage(page: number): void;
  select(id: string | null): Promise<void>;
  loadActive(): Promise<void>;
  cancel(id: string): Promise<void>;
  applyUpdate(job: JobSummary): void;
}

export const isFinal = (status: JobStatus): boolean => FINAL_STATUSES.includes(status);

function matches(job: JobSummary, filter: JobsFilter): boolean {
  if (filter.planId && job.planId !== filter.planId) return false;
  if (filter.status && job.status !== filter.status) return false;
  if (filter.search) {
    const needle = filter.search.toLowerCase();
    const haystack = [job.planName, job.displayMessage, job.filePath, job.id].join(' ').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

/** Drops empty values so that the request carries only real filters. */
export function cleanFilter(filter: JobsFilter): JobsFilter {
  const clean: JobsFilter = {};
  if (filter.planId) clean.planId = filter.planId;
  if (filter.status) clean.status = filter.status;
  if (filter.search?.trim()) clean.search = filter.search.trim();
  if (filter.sort && (filter.sort !== 'started' || filter.sortDir === 'asc')) {
    clean.sort = filter.sort;
    clean.sortDir = filter.sortDir ?? 'desc';
  }
  return clean;
}

let listSeq = 0;
let detailSeq = 0;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;

export const useJobsStore = create<JobsState>()((set, get) => {
  /** Several new jobs can start in one burst: reload the page once, shortly after. */
  const scheduleReload = () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void get().load(), 200);
  };

  const loadDetail = async (id: string) => {
    const seq = ++detailSeq;
    try {
      const detail = await call('jobs/get', { id });
      if (seq === detailSeq && get().selectedId === id) set({ detail, detailError: null });
    } catch (error) {
      if (seq === detailSeq && get().selectedId === id) set({ detail: null, detailError: toUiError(error) });
    }
  };

  return {
    filter: {},
    page: 1,
    items: [],
    total: 0,
    loaded: false,
    loading: false,
    error: null,
    active: {},
    selectedId: null,
    detail: null,
    detailError: null,
    finishedCount: 0,

    async load() {
      const seq = ++listSeq;
      const { filter, page } = get();
      set({ loading: true });
      try {
        const result = await call('jobs/list', { ...cleanFilter(filter), page, pageSize: HISTORY_PAGE_SIZE });
        if (seq !== listSeq) return;
        const pages = Math.max(1, Math.ceil(result.total / HISTORY_PAGE_SIZE));
        if (page > pages) {
          // the page emptied (filter change, deletion): show the last page that exists
          set({ page: pages });
          void get().load();
          return;
        }
        set({ items: result.items, total: result.total, loaded: true, loading: false, error: null });
      } catch (error) {
        if (seq === listSeq) set({ loaded: true, loading: false, error: toUiError(error) });
      }
    },

    setFilter(patch) {
      set((state) => ({ filter: { ...state.filter, ...patch }, page: 1 }));
      void get().load();
    },

    clearFilter() {
      set({ filter: {}, page: 1 });
      void get().load();
    },

    setPage(page) {
      set({ page: Math.max(1, page) });
      void get().load();
    },

    async select(id) {
      set({ selectedId: id, detail: null, detailError: null });
      if (id) await loadDetail(id);
    },

    async loadActive() {
      try {
        const [running, pending] = await Promise.all([
          call('jobs/list', { status: 'running', pageSize: 200 }),
          call('jobs/list', { status: 'pending', pageSize: 200 }),
        ]);
        const active: Record<string, JobSummary> = {};
        for (const job of [...running.items, ...pending.items]) active[job.id] = job;
        set({ active });
      } catch (error) {
        set({ error: toUiError(error) });
      }
    },

    async cancel(id) {
      try {
        await call('jobs/cancel', { id });
      } catch (error) {
        set({ error: toUiError(error) });
      }
    },

    applyUpdate(job) {
      const state = get();
      const final = isFinal(job.status);
      const active = { ...state.active };
      if (final) delete active[job.id];
      else active[job.id] = job;

      const index = state.items.findIndex((item) => item.id === job.id);
      let items = state.items;
      if (index >= 0) {
        items = [...state.items];
        items[index] = job;
      } else if (state.page === 1 && matches(job, state.filter)) {
        // a new job belongs at the top of page 1; reload so that total and paging stay right
        scheduleReload();
      }

      let detail = state.detail;
      if (state.selectedId === job.id && detail) {
        detail = { ...detail, ...job };
        // per-source results and the stderr tail are written when the job ends
        if (final) void loadDetail(job.id);
      }

      const wasActive = job.id in state.active;
      set({
        active,
        items,
        detail,
        finishedCount: final && (wasActive || index >= 0) ? state.finishedCount + 1 : state.finishedCount,
      });
    },
  };
});

/** The pending or running job of a plan, if any (a plan never overlaps itself). */
export function activeJobOfPlan(active: Record<string, JobSummary>, planId: string): JobSummary | undefined {
  return Object.values(active).find((job) => job.planId === planId);
}
