/**
 * The scheduler as the dashboard shows it: running / paused / stopped and each plan's next armed
 * run ('scheduler/status'). Reloaded when something that moves a next run happens: a plan
 * changes, the pause switch flips, a job starts or ends (a slot fired), and once a minute while
 * someone looks (a next run that has passed is re-armed).
 */
import { create } from 'zustand';
import type { SchedulerStatus } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';
import { useAppStore } from './app-store';

interface SchedulerStoreState {
  status: SchedulerStatus | null;
  error: UiError | null;
  busy: boolean;
  load(): Promise<void>;
  /** coalesces bursts of events into one request */
  scheduleReload(): void;
  /** Pause all / Resume: the app's pause switch, then the fresh status */
  setPaused(paused: boolean): Promise<void>;
  /** re-arms every plan from the catalog, catching up missed slots first */
  reinitialize(): Promise<boolean>;
}

let loadSeq = 0;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;

export const useSchedulerStore = create<SchedulerStoreState>()((set, get) => ({
  status: null,
  error: null,
  busy: false,

  async load() {
    const seq = ++loadSeq;
    try {
      const status = await call('scheduler/status');
      if (seq === loadSeq) set({ status, error: null });
    } catch (error) {
      if (seq === loadSeq) set({ error: toUiError(error) });
    }
  },

  scheduleReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => void get().load(), 250);
  },

  async setPaused(paused) {
    set({ busy: true });
    await useAppStore.getState().setPaused(paused);
    await get().load();
    set({ busy: false });
  },

  async reinitialize() {
    set({ busy: true });
    const seq = ++loadSeq;
    try {
      const status = await call('scheduler/reinitialize');
      if (seq === loadSeq) set({ status, error: null });
      return true;
    } catch (error) {
      set({ error: toUiError(error) });
      return false;
    } finally {
      set({ busy: false });
    }
  },
}));
