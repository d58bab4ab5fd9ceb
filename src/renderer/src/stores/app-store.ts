import { create } from 'zustand';
import type { AppInfo } from '../../../shared/ipc-contract';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

interface AppState {
  info: AppInfo | null;
  paused: boolean;
  error: UiError | null;
  load(): Promise<void>;
  setPaused(paused: boolean): Promise<void>;
  /** from 'app/paused-changed': the tray or the CLI may pause too */
  applyPaused(paused: boolean): void;
}

export const useAppStore = create<AppState>()((set) => ({
  info: null,
  paused: false,
  error: null,
  async load() {
    try {
      const info = await call('app/get-info');
      set({ info, paused: info.paused, error: null });
    } catch (error) {
      set({ error: toUiError(error) });
    }
  },
  async setPaused(paused) {
    try {
      const result = await call('app/set-paused', { paused });
      set({ paused: result.paused, error: null });
    } catch (error) {
      set({ error: toUiError(error) });
    }
  },
  applyPaused(paused) {
    set((state) => ({ paused, info: state.info ? { ...state.info, paused } : null }));
  },
}));
