import type { Clock } from '../../src/main/core/ports';

/** A Clock that tests set and advance by hand; time stands still in between. */
export class TestClock implements Clock {
  private current: number;

  constructor(start: Date) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date): void {
    this.current = at.getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
