import { create } from 'zustand';
import type { Plan, PlanInput, PlanSecrets } from '../../../shared/plan';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

interface PlansState {
  plans: Plan[];
  loaded: boolean;
  error: UiError | null;
  load(): Promise<void>;
  /** Saves and reloads; throws so the editor can show the server's error next to the form. */
  save(plan: PlanInput, secrets: PlanSecrets): Promise<Plan>;
  remove(id: string): Promise<void>;
  /** `description`: this run's label (default: the plan's) */
  runNow(id: string, description?: string): Promise<string>;
}

let loadSeq = 0;

export const usePlansStore = create<PlansState>()((set, get) => ({
  plans: [],
  loaded: false,
  error: null,
  async load() {
    const seq = ++loadSeq;
    try {
      const plans = await call('plans/list');
      // a slower, older reply must not overwrite a newer list
      if (seq === loadSeq) set({ plans, loaded: true, error: null });
    } catch (error) {
      if (seq === loadSeq) set({ loaded: true, error: toUiError(error) });
    }
  },
  async save(plan, secrets) {
    const saved = await call('plans/save', { plan, secrets });
    await get().load();
    return saved;
  },
  async remove(id) {
    await call('plans/delete', { id });
    await get().load();
  },
  async runNow(id, description) {
    const { jobId } = await call('plans/run-now', { id, ...(description?.trim() ? { description: description.trim() } : {}) });
    return jobId;
  },
}));

export function planName(plans: Plan[], id: string | null): string | null {
  if (!id) return null;
  return plans.find((p) => p.id === id)?.name ?? null;
}
