import type { JobPhase } from '../../../shared/job';
import type { JobContext } from '../jobs/job-runner';

/** Where each phase starts and ends on the job's 0..100 scale. */
const PHASE_RANGE: Partial<Record<JobPhase, [number, number]>> = {
  preflight: [0, 5],
  dump: [5, 90],
  files: [5, 90],
  finalize: [90, 93],
  verify: [93, 99],
  retention: [99, 100],
};

/** No ETA before the streaming phases (dump, files) have run this long: the first seconds' rate says little. */
export const ETA_MIN_MS = 5000;
/** ... nor before this share of the bytes to stream was done since they started. */
export const ETA_MIN_FRACTION = 0.02;
/** Time constant of the ETA's exponential smoothing: a burst or a stall moves it over seconds, not at once. */
export const ETA_SMOOTHING_MS = 5000;

/**
 * Turns byte and file counts into the job's progress: percent over weighted phases, rate over
 * the last few seconds, ETA from the bytes left. The ETA waits for enough data (ETA_MIN_MS and
 * ETA_MIN_FRACTION of the streaming phases, which share one byte total) and is smoothed, so that
 * neither a slow first second ("16 h") nor a burst of small files makes it jump. Reports go to
 * the job context, which throttles what it saves and pushes.
 */
const REPORT_EVERY_MS = 50;

export class ProgressMeter {
  private current: JobPhase = 'preflight';
  private bytesDone = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private filesTotal = 0;
  private currentItem: string | null = null;
  private readonly samples: { t: number; bytes: number }[] = [];
  /** when the streaming phases started, and the bytes done then (null: not yet) */
  private streamStart: { t: number; bytes: number } | null = null;
  private eta: { t: number; seconds: number } | null = null;

  /** `now` is the clock in ms (tests pass a fake one). */
  private lastReport = -Infinity;

  constructor(
    private readonly ctx: Pick<JobContext, 'progress'>,
    private readonly now: () => number = Date.now,
  ) {}

  phase(phase: JobPhase, item: string | null = null): void {
    this.current = phase;
    this.currentItem = item;
    this.report();
  }

  addTotals(bytes: number, files: number): void {
    this.bytesTotal += bytes;
    this.filesTotal += files;
  }

  item(name: string): void {
    this.currentItem = name;
  }

  bytes(n: number): void {
    this.bytesDone += n;
    this.reportSometimes();
  }

  file(bytesSkipped: number): void {
    this.filesDone++;
    this.bytesDone += bytesSkipped;
    this.reportSometimes();
  }

  /**
   * Reports at most every REPORT_EVERY_MS: a folder of small files calls bytes() and file()
   * hundreds of thousands of times, and each report costs a rate sample and a progress object
   * (the job runner saves and pushes at most once a second anyway).
   */
  private reportSometimes(): void {
    if (this.now() - this.lastReport >= REPORT_EVERY_MS) this.report();
  }

  private rate(now: number): number {
    this.samples.push({ t: now, bytes: this.bytesDone });
    while (this.samples.length > 2 && now - this.samples[0].t > 5000) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.t) / 1000;
    return seconds > 0.2 ? (this.bytesDone - first.bytes) / seconds : 0;
  }

  /** The smoothed ETA in seconds, or null while there is not enough data for one. */
  private estimate(now: number, streaming: boolean, rate: number): number | null {
    if (!streaming) {
      this.eta = null;
      return null;
    }
    this.streamStart ??= { t: now, bytes: this.bytesDone };
    const enough =
      now - this.streamStart.t >= ETA_MIN_MS &&
      this.bytesTotal > 0 &&
      (this.bytesDone - this.streamStart.bytes) / this.bytesTotal >= ETA_MIN_FRACTION &&
      rate > 0;
    if (!enough) {
      this.eta = null;
      return null;
    }
    const raw = Math.max(0, this.bytesTotal - this.bytesDone) / rate;
    if (!this.eta) {
      this.eta = { t: now, seconds: raw };
    } else {
      // the last ETA, counted down by the time since, moves towards the new estimate
      const dt = now - this.eta.t;
      const predicted = Math.max(0, this.eta.seconds - dt / 1000);
      const weight = 1 - Math.exp(-dt / ETA_SMOOTHING_MS);
      this.eta = { t: now, seconds: predicted + (raw - predicted) * weight };
    }
    return this.eta.seconds;
  }

  private report(): void {
    const now = this.now();
    this.lastReport = now;
    const [from, to] = PHASE_RANGE[this.current] ?? [0, 100];
    const streaming = this.current === 'dump' || this.current === 'files';
    // a dump can outgrow the estimate (taken from table sizes); never report past the phase end
    const fraction = streaming && this.bytesTotal > 0 ? Math.min(1, this.bytesDone / this.bytesTotal) : 0;
    const rate = this.rate(now);
    const eta = this.estimate(now, streaming, rate);
    this.ctx.progress({
      phase: this.current,
      percent: Math.round((from + (to - from) * fraction) * 10) / 10,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal || null,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal || null,
      currentItem: this.currentItem,
      rate: Math.round(rate),
      etaSeconds: eta === null ? null : Math.round(eta),
    });
  }
}
