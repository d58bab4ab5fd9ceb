import type { EventBus } from '../ports';

/**
 * "Pause all" (tray, Dashboard): while paused, due schedules are skipped, not queued. A change is
 * announced as `app/paused-changed`, which the scheduler and the tray follow.
 */
export class PauseSwitch {
  private paused = false;

  constructor(private readonly events: Pick<EventBus, 'emit'>) {}

  isPaused(): boolean {
    return this.paused;
  }

  set(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.events.emit('app/paused-changed', { paused });
  }
}
