/**
 * The notification service: one subscriber of the job updates among others (IPC bridge, tray).
 * When a job reaches a final status it tells the desktop (failures always, successes if the user
 * asked), sends to the channels (failures and alerts to every enabled channel, successes only to
 * those with `onSuccess`), and evaluates the alerts of backup runs. It never throws into the job
 * runner: every delivery failure ends up in the audit log as `notify.failed`, without secrets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ALERT_RULES } from '../../../shared/alert-rules';
import { AppError, toTransferable } from '../../../shared/errors';
import type { JobStatus, JobSummary } from '../../../shared/job';
import {
  type AlertEntry,
  type AlertKind,
  type NotifySettings,
  type NotificationChannel,
  type NotificationPayload,
  type NotifyEvent,
} from '../../../shared/notify';
import type { z } from 'zod';
import type { settingsPatchSchema } from '../../../shared/notify';
import { AlertsRepo } from '../catalog/alerts-repo';
import type { AuditRepo } from '../catalog/audit-repo';
import { BackupHistoryRepo } from '../catalog/backup-history-repo';
import type { CatalogDb } from '../catalog/catalog';
import type { JobsRepo } from '../catalog/jobs-repo';
import { NotificationChannelsRepo } from '../catalog/notification-channels-repo';
import type { PlansRepo } from '../catalog/plans-repo';
import type { SettingsRepo } from '../catalog/settings-repo';
import { secretKeys } from '../paths';
import type { Clock, EventBus, Notifier, SecretStore } from '../ports';
import {
  failureStreak,
  lowDiskAlert,
  overduePlans,
  scheduleIntervalMs,
  runAlerts,
  type AlertDraft,
  type BackupRun,
  type DiskUsage,
} from './alerts';
import { DEFAULT_DELIVERY_TIMEOUT_MS, deliver } from './channels';
import { storageCapAlert } from './storage-cap-alert';
import { offsiteAlert, readOffsiteStatus } from './offsite-alert';
import { failureSteps, jobMessage, jobTitle } from './format';
import { editorFieldForError, failureOfJob } from '../../../shared/error-field';

/** What the service needs from the core (the core itself fits). */
export interface NotificationDeps {
  readonly appVersion: string;
  readonly catalog: CatalogDb;
  readonly events: EventBus;
  readonly notifier: Notifier;
  readonly secrets: SecretStore;
  readonly clock: Clock;
  readonly audit: AuditRepo;
  readonly settings: SettingsRepo;
  readonly plans: PlansRepo;
  readonly jobs: JobsRepo;
}

export interface NotificationServiceOptions {
  /** per delivery (default 10 s) */
  timeoutMs?: number;
  /**
   * look for overdue plans at start and then periodically (default true); a one-shot CLI command
   * may turn it off so that listing backups sends no alerts
   */
  watchOverdue?: boolean;
  /** how often to look for overdue plans; 0 turns the timer off (default hourly) */
  overdueCheckIntervalMs?: number;
  /** free and total bytes of the disk holding `dir`; default fs.statfs */
  diskUsage?: (dir: string) => Promise<DiskUsage | null>;
}

/** Catalog settings keys behind NotifySettings. */
export const SETTING_KEYS = { notifyOnSuccess: 'notify.onSuccess' } as const;

const FAILURE_STATUSES: readonly JobStatus[] = ['failed', 'partial', 'interrupted'];
const LOW_DISK_REPEAT_MS = 24 * 3_600_000;
const HANDLED_MEMORY = 1000;
const CLOSE_GRACE_MS = 3000;

const ALERT_TITLES: Record<AlertKind, string> = {
  'consecutive-failures': 'Failing repeatedly',
  'size-anomaly': 'Unusual backup size',
  'duration-anomaly': 'Backup took unusually long',
  'low-disk': 'Low disk space',
  overdue: 'No recent backup',
  'storage-cap': 'Over its storage cap',
  stalled: 'Job stalled',
  offsite: 'No off-site copy',
};
const ALERT_LEVELS: Record<AlertKind, 'info' | 'error'> = {
  'consecutive-failures': 'error',
  'size-anomaly': 'info',
  'duration-anomaly': 'info',
  'low-disk': 'error',
  overdue: 'error',
  'storage-cap': 'error',
  stalled: 'error',
  offsite: 'error',
};

async function statfsUsage(dir: string): Promise<DiskUsage | null> {
  try {
    const stats = await fs.promises.statfs(dir);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    return null;
  }
}

export class NotificationService {
  readonly channels: NotificationChannelsRepo;
  readonly alerts: AlertsRepo;
  private readonly history: BackupHistoryRepo;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly handled = new Set<string>();
  private readonly closing = new AbortController();
  private readonly timeoutMs: number;
  private readonly diskUsage: (dir: string) => Promise<DiskUsage | null>;
  private readonly host = os.hostname();
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly deps: NotificationDeps,
    private readonly options: NotificationServiceOptions = {},
  ) {
    this.channels = new NotificationChannelsRepo(deps.catalog);
    this.alerts = new AlertsRepo(deps.catalog);
    this.history = new BackupHistoryRepo(deps.catalog);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
    this.diskUsage = options.diskUsage ?? statfsUsage;
  }

  /**
   * Subscribes to job updates, notifies about jobs the start-up recovery marked interrupted
   * (at or after `interruptedSince`), and looks for overdue plans now and then periodically.
   */
  start(options: { interruptedSince?: string } = {}): void {
    if (this.unsubscribe || this.closed) return;
    this.unsubscribe = this.deps.events.on('jobs/updated', (job) => this.onJobUpdated(job));
    if (options.interruptedSince) {
      for (const id of this.history.interruptedSince(options.interruptedSince)) {
        const job = this.deps.jobs.get(id);
        if (job) this.onJobUpdated(job);
      }
    }
    if (this.options.watchOverdue === false) return;
    this.track(this.checkOverdue());
    this.track(this.checkOffsite());
    const every = this.options.overdueCheckIntervalMs ?? 3_600_000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.track(this.checkOverdue());
        this.track(this.checkOffsite());
      }, every);
      this.timer.unref();
    }
  }

  /**
   * Stops listening, gives deliveries in flight a moment to finish (a failure reported while
   * quitting should still arrive), then aborts the rest and waits for them to record their outcome.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    this.closing.abort(new AppError('CANCELLED'));
    await this.idle();
  }

  /** Resolves once every notification and alert under way has been delivered or has failed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ---- settings -------------------------------------------------------------------------

  getSettings(): NotifySettings {
    return { notifyOnSuccess: this.deps.settings.get(SETTING_KEYS.notifyOnSuccess, false) };
  }

  updateSettings(patch: z.output<typeof settingsPatchSchema>): NotifySettings {
    if (patch.notifyOnSuccess !== undefined) this.deps.settings.set(SETTING_KEYS.notifyOnSuccess, patch.notifyOnSuccess);
    return this.getSettings();
  }

  // ---- channels -------------------------------------------------------------------------

  /** Sends a test message to one channel (enabled or not); returns the error (already audited) if it did not arrive. */
  async sendTest(channel: NotificationChannel): Promise<AppError | null> {
    const payload = this.payload(
      'test',
      'Lifeboat test notification',
      `This is a test from Lifeboat. If you can read it, the channel "${channel.name}" works.`,
      null,
      null,
    );
    return this.sendTo(channel, payload);
  }

  // ---- jobs -----------------------------------------------------------------------------

  /**
   * Takes a finished job as already notified, so that a later update of its row is no news
   * (start-up recovery adding a note to the message of a job an earlier run notified about).
   */
  alreadyNotified(jobId: string): void {
    this.handled.add(jobId);
  }

  private onJobUpdated(job: JobSummary): void {
    if (this.closed || job.finishedAt === null || this.handled.has(job.id)) return;
    if (job.status !== 'success' && !FAILURE_STATUSES.includes(job.status)) return;
    this.handled.add(job.id);
    if (this.handled.size > HANDLED_MEMORY) this.handled.delete(this.handled.values().next().value!);
    this.track(this.handleFinishedJob(job));
  }

  private async handleFinishedJob(job: JobSummary): Promise<void> {
    const failed = FAILURE_STATUSES.includes(job.status);
    if (failed || this.getSettings().notifyOnSuccess) {
      this.desktop({ title: jobTitle(job), body: jobMessage(job), jobId: job.id, level: failed ? 'error' : 'info' });
    }
    const payload = this.payload(failed ? 'job.failed' : 'job.succeeded', jobTitle(job), jobMessage(job), job, null);
    if (failed) payload.whatToDo = failureSteps(job, this.failedField(job));
    const work: Promise<unknown>[] = [this.broadcast(payload, failed ? 'all' : 'on-success', job.id)];
    if (job.kind === 'backup' && job.planId) {
      for (const draft of this.jobAlerts(job)) work.push(this.raise(draft, job));
      work.push(this.checkDisk(job));
      const capDraft = this.storageCap(job);
      if (capDraft) work.push(this.raise(capDraft, job));
      work.push(this.checkOffsite(this.deps.clock.now(), job.planId));
    }
    await Promise.all(work);
  }

  /** The plan editor field a failed backup's error names (src/shared/error-field.ts), if any. */
  private failedField(job: JobSummary): string | null {
    if (job.kind !== 'backup' || !job.planId || !job.errorCode) return null;
    const plan = this.deps.plans.get(job.planId);
    const failure = failureOfJob(this.deps.jobs.detail(job.id) ?? job);
    return plan && failure ? editorFieldForError(failure.code, plan, failure) : null;
  }

  /** Run alerts of a finished backup; a failure streak is alerted once. */
  private jobAlerts(job: JobSummary): AlertDraft[] {
    const planId = job.planId!;
    const runs = this.history.recentRuns(planId);
    const current: BackupRun | undefined = runs.find((r) => r.jobId === job.id);
    if (!current) return [];
    // the plan's alert rules (a plan deleted since: today's defaults)
    const rules = this.deps.plans.get(planId)?.alerts ?? DEFAULT_ALERT_RULES;
    const drafts = runAlerts({ id: planId, name: job.planName ?? planId }, current, runs, rules);
    return drafts.filter((draft) => {
      if (draft.kind !== 'consecutive-failures') return true;
      const streak = failureStreak(runs);
      const previous = this.alerts.latest(planId, 'consecutive-failures');
      return !previous || previous.at < streak[streak.length - 1].startedAt;
    });
  }

  /** Over the plan's storage cap after the run's retention: the cap could not be met. */
  private storageCap(job: JobSummary): AlertDraft | null {
    const plan = this.deps.plans.get(job.planId!);
    if (!plan?.retention.capBytes) return null;
    const keptBytes = this.deps.jobs.backupsOfPlan(plan.id).reduce((sum, b) => sum + (b.sizeBytes ?? 0), 0);
    return storageCapAlert(plan, keptBytes, plan.retention.capBytes, job.id);
  }

  private async checkDisk(job: JobSummary): Promise<void> {
    const planId = job.planId!;
    const plan = this.deps.plans.get(planId);
    const rule = plan?.alerts?.lowDisk ?? DEFAULT_ALERT_RULES.lowDisk;
    if (!rule.enabled) return;
    const destination = plan?.options.destination ?? (job.filePath ? path.dirname(job.filePath) : null);
    if (!destination) return;
    const usage = await this.diskUsage(destination);
    if (!usage) return;
    const draft = lowDiskAlert({ id: planId, name: job.planName ?? planId }, destination, usage, job.id, rule);
    if (!draft) return;
    const previous = this.alerts.latest(planId, 'low-disk');
    if (previous && this.deps.clock.now().getTime() - Date.parse(previous.at) < LOW_DISK_REPEAT_MS) return;
    await this.raise(draft, job);
  }

  // ---- alerts ---------------------------------------------------------------------------

  /**
   * Raises an alert for every enabled, scheduled plan that has not succeeded within twice its
   * schedule's interval; the same plan is alerted again only after another such window.
   * Never rejects: the scheduler may call it on a timer.
   */
  async checkOverdue(now: Date = this.deps.clock.now()): Promise<AlertEntry[]> {
    if (this.closed) return [];
    try {
      const overdue = overduePlans(this.deps.plans.list(), this.history.lastSuccessByPlan(), now);
      const raised: Promise<AlertEntry>[] = [];
      for (const plan of overdue) {
        const previous = this.alerts.latest(plan.planId, 'overdue');
        if (previous && now.getTime() - Date.parse(previous.at) < plan.windowMs) continue;
        raised.push(this.raise({ kind: 'overdue', planId: plan.planId, jobId: null, message: plan.message }, null));
      }
      return await Promise.all(raised);
    } catch (error) {
      this.recordFailure(null, 'internal', null, error);
      return [];
    }
  }

  /**
   * Raises the off-site alert (notify/offsite-alert.ts) of every plan, or of `planId`, whose
   * newest backup has had no verified or uploaded off-site copy for longer than its schedule's
   * period; the same plan again only after another period while it stays unprotected. Once a
   * copy lands the plan is protected and nothing is raised. Never rejects.
   */
  async checkOffsite(now: Date = this.deps.clock.now(), planId?: string): Promise<AlertEntry[]> {
    if (this.closed) return [];
    try {
      const raised: Promise<AlertEntry>[] = [];
      for (const plan of this.deps.plans.list()) {
        if (planId && plan.id !== planId) continue;
        const status = readOffsiteStatus(this.deps, plan);
        const draft = offsiteAlert(plan, status, now);
        if (!draft) continue;
        const previous = this.alerts.latest(plan.id, 'offsite');
        const period = scheduleIntervalMs(plan.schedule) ?? 0;
        if (previous && previous.at >= status.unprotectedSince! && now.getTime() - Date.parse(previous.at) < period) continue;
        raised.push(this.raise(draft, null));
      }
      return await Promise.all(raised);
    } catch (error) {
      this.recordFailure(null, 'internal', null, error);
      return [];
    }
  }

  /** A running job has made no progress for the stall threshold (jobs/stall-watch.ts): one alert per job. */
  async jobStalled(job: JobSummary, message: string): Promise<void> {
    try {
      await this.raise({ kind: 'stalled', planId: job.planId, jobId: job.id, message }, job);
    } catch (error) {
      this.recordFailure(null, 'internal', null, error);
    }
  }

  /** Stores the alert, pushes it, shows it on the desktop and sends it to every enabled channel. */
  private async raise(draft: AlertDraft, job: JobSummary | null): Promise<AlertEntry> {
    const entry = this.alerts.record({ at: this.deps.clock.now().toISOString(), ...draft });
    this.deps.events.emit('alerts/raised', entry);
    const planName = (draft.planId && (job?.planName ?? this.deps.plans.get(draft.planId)?.name)) || null;
    const title = planName ? `${ALERT_TITLES[draft.kind]}: ${planName}` : ALERT_TITLES[draft.kind];
    this.desktop({ title, body: draft.message, jobId: draft.jobId ?? undefined, level: ALERT_LEVELS[draft.kind] });
    const payload = this.payload('alert', title, draft.message, job, { kind: draft.kind }, draft.planId);
    if (draft.jobId) payload.whatToDo = [`Open the job in Lifeboat (History, job ${draft.jobId}).`];
    await this.broadcast(payload, 'all', draft.jobId);
    return entry;
  }

  // ---- delivery -------------------------------------------------------------------------

  private payload(
    event: NotifyEvent,
    title: string,
    message: string,
    job: JobSummary | null,
    alert: NotificationPayload['alert'],
    planId: string | null = job?.planId ?? null,
  ): NotificationPayload {
    const planName = job?.planId === planId && job?.planName ? job.planName : planId ? this.deps.plans.get(planId)?.name : undefined;
    return {
      version: 1,
      event,
      at: this.deps.clock.now().toISOString(),
      title,
      message,
      plan: planId ? { id: planId, name: planName ?? planId } : null,
      job: job
        ? {
            id: job.id,
            kind: job.kind,
            status: job.status,
            trigger: job.trigger,
            startedAt: job.startedAt,
            finishedAt: job.finishedAt,
            durationMs: job.durationMs,
            sizeBytes: job.sizeBytes,
            filePath: job.filePath,
            errorCode: job.errorCode,
            displayMessage: job.displayMessage,
          }
        : null,
      alert,
      source: { app: 'Lifeboat', version: this.deps.appVersion, host: this.host },
    };
  }

  /** Sends to every enabled channel, or only to those that want successes. */
  private async broadcast(payload: NotificationPayload, audience: 'all' | 'on-success', jobId: string | null): Promise<void> {
    const targets = this.channels.enabled().filter((c) => audience === 'all' || c.onSuccess);
    await Promise.all(targets.map((channel) => this.sendTo(channel, payload, jobId)));
  }

  /** Delivers to one channel; returns the error (already audited) instead of throwing it. */
  private async sendTo(channel: NotificationChannel, payload: NotificationPayload, jobId: string | null = null): Promise<AppError | null> {
    try {
      const secret = channel.hasSecret ? await this.deps.secrets.get(secretKeys.notifySecret(channel.id)) : null;
      await deliver(channel, secret, payload, {
        timeoutMs: this.timeoutMs,
        signal: this.closing.signal,
        userAgent: `Lifeboat/${this.deps.appVersion}`,
      });
      return null;
    } catch (error) {
      return this.recordFailure(channel, payload.event, jobId ?? payload.job?.id ?? null, error);
    }
  }

  private recordFailure(channel: NotificationChannel | null, event: NotifyEvent | 'internal', jobId: string | null, error: unknown): AppError {
    const appError =
      error instanceof AppError ? error : new AppError('NOTIFY_FAILED', { detail: toTransferable(error).message });
    try {
      this.deps.audit.record('system', 'notify.failed', channel?.id ?? null, {
        channelId: channel?.id ?? null,
        kind: channel?.kind ?? null,
        event,
        jobId,
        code: appError.code,
        detail: appError.detail ?? null,
      });
    } catch {
      // the catalog is closing: nothing more to do
    }
    return appError;
  }

  private desktop(message: Parameters<Notifier['notify']>[0]): void {
    try {
      this.deps.notifier.notify(message);
    } catch {
      // a broken notification center must not break anything else
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error) => this.recordFailure(null, 'internal', null, error)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
