/**
 * Keeps the machine awake while jobs run: one 'prevent-app-suspension' blocker held from the
 * first active job to the end of the last one. The decision is here, in Node; Electron's
 * powerSaveBlocker is only the port.
 */

/** The part of Electron's powerSaveBlocker used here. */
export interface PowerSaveBlockerPort {
  start(type: 'prevent-app-suspension'): number;
  stop(id: number): void;
  isStarted(id: number): boolean;
}

/**
 * Reference counting by job id: `update` takes the ids of the jobs now pending or running (in
 * any order, any number of times) and starts or stops the one blocker as that set becomes
 * non-empty or empty. A sleep of the system between two backups is fine; during one it is not:
 * the dump's connection would drop and the job fail.
 */
export class JobPowerBlocker {
  private blockerId: number | null = null;
  private readonly active = new Set<string>();

  constructor(private readonly port: PowerSaveBlockerPort) {}

  /** The jobs now active; returns whether the machine is kept awake afterwards. */
  update(activeJobIds: Iterable<string>): boolean {
    this.active.clear();
    for (const id of activeJobIds) this.active.add(id);
    if (this.active.size > 0) this.acquire();
    else this.release();
    return this.isBlocking();
  }

  /** A job changed: counts it while pending or running, forgets it otherwise. */
  onJob(job: { id: string; status: string }): boolean {
    const ids = new Set(this.active);
    if (job.status === 'pending' || job.status === 'running') ids.add(job.id);
    else ids.delete(job.id);
    return this.update(ids);
  }

  isBlocking(): boolean {
    return this.blockerId !== null;
  }

  /** Releases the blocker whatever runs (quit). */
  dispose(): void {
    this.active.clear();
    this.release();
  }

  private acquire(): void {
    // the OS may drop a blocker (rare); start a new one rather than trust a dead id
    if (this.blockerId !== null && this.port.isStarted(this.blockerId)) return;
    this.blockerId = this.port.start('prevent-app-suspension');
  }

  private release(): void {
    if (this.blockerId === null) return;
    if (this.port.isStarted(this.blockerId)) this.port.stop(this.blockerId);
    this.blockerId = null;
  }
}
