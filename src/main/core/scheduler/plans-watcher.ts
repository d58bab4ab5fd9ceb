/**
 * Plans changed by another process on the same catalog (the app saving a plan while the
 * `lifeboat daemon` service runs the schedules, or a CLI plan command while the app does) come
 * with no event in this process. This watcher reads every plan's updated_at now and then and
 * emits `plans/changed` here for each plan another process added, changed or deleted, so that the
 * scheduler re-arms it and the window's plan list reloads, as after a change made here.
 * Changes made here (announced on the bus) only move its baseline. Its timer is unref'd.
 */
import type { CatalogDb } from '../catalog/catalog';
import type { EventBus } from '../ports';

/** How often the plans table is compared (a cheap read of two columns). */
export const PLANS_WATCH_MS = 5_000;

export class PlansWatcher {
  private baseline = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private off: (() => void) | null = null;

  constructor(
    private readonly deps: { catalog: CatalogDb; events: Pick<EventBus, 'on' | 'emit'>; intervalMs?: number },
  ) {}

  start(): void {
    if (this.timer) return;
    this.baseline = this.read();
    // a change announced here is no news at the next look
    this.off = this.deps.events.on('plans/changed', ({ planId }) => {
      const row = this.deps.catalog.prepare('SELECT updated_at AS at FROM plans WHERE id = ?').get(planId) as { at: string } | undefined;
      if (row) this.baseline.set(planId, row.at);
      else this.baseline.delete(planId);
    });
    this.timer = setInterval(() => this.check(), this.deps.intervalMs ?? PLANS_WATCH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.off?.();
    this.off = null;
  }

  /** Emits `plans/changed` for each plan added, changed or deleted since the last look; returns their ids. */
  check(): string[] {
    let current: Map<string, string>;
    try {
      current = this.read();
    } catch {
      // the catalog is busy or closing: look again at the next tick
      return [];
    }
    const changed = [...current].filter(([id, at]) => this.baseline.get(id) !== at).map(([id]) => id);
    const deleted = [...this.baseline.keys()].filter((id) => !current.has(id));
    this.baseline = current;
    for (const planId of [...changed, ...deleted]) this.deps.events.emit('plans/changed', { planId });
    return [...changed, ...deleted];
  }

  private read(): Map<string, string> {
    const rows = this.deps.catalog.prepare('SELECT id, updated_at AS at FROM plans').all() as { id: string; at: string }[];
    return new Map(rows.map((r) => [r.id, r.at]));
  }
}
