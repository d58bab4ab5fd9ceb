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

/**
 * Turns byte and file counts into the job's progress: percent over weighted phases, rate over
 * the last few seconds, ETA from the bytes left. Reports go to the job context, which throttles
 * what it saves and pushes.
 */
export class ProgressMeter {
  private current: JobPhase = 'preflight';
  private bytesDone = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private filesTotal = 0;
  private currentItem: string | null = null;
  private readonly samples: { t: number; bytes: number }[] = [];

  constructor(private readonly ctx: Pick<JobContext, 'progress'>) {}

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
    this.report();
  }

  file(bytesSkipped: number): void {
    this.filesDone++;
    this.bytesDone += bytesSkipped;
    this.report();
  }

  private rate(now: number): number {
    this.samples.push({ t: now, bytes: this.bytesDone });
    while (this.samples.length > 2 && now - this.samples[0].t > 5000) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.t) / 1000;
    return seconds > 0.2 ? (this.bytesDone - first.bytes) / seconds : 0;
  }

  private report(): void {
    const now = Date.now();
    const [from, to] = PHASE_RANGE[this.current] ?? [0, 100];
    const streaming = this.current === 'dump' || this.current === 'files';
    // a dump can outgrow the estimate (taken from table sizes); never report past the phase end
    const fraction = streaming && this.bytesTotal > 0 ? Math.min(1, this.bytesDone / this.bytesTotal) : 0;
    const rate = this.rate(now);
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    this.ctx.progress({
      phase: this.current,
      percent: Math.round((from + (to - from) * fraction) * 10) / 10,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal || null,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal || null,
      currentItem: this.currentItem,
      rate: Math.round(rate),
      etaSeconds: streaming && rate > 0 ? Math.round(left / rate) : null,
    });
  }
}
