import { openCatalog, type CatalogDb } from './catalog/catalog';
import { AuditRepo } from './catalog/audit-repo';
import { JobsRepo } from './catalog/jobs-repo';
import { PlansRepo } from './catalog/plans-repo';
import { VerificationsRepo } from './catalog/verifications-repo';
import { SettingsRepo } from './catalog/settings-repo';
import { ScheduleStateRepo } from './catalog/schedule-state-repo';
import { createHandlers } from './handlers';
import { JobRunner } from './jobs/job-runner';
import { EventBus, silentNotifier, systemClock, type Clock, type Notifier, type SecretStore } from './ports';
import { runPlanBackup } from './backup/plan-backup';
import { Scheduler } from './scheduler/scheduler';
import { NotificationService, type NotificationServiceOptions } from './notify/notification-service';
import type { InvokeHandlers } from '../../shared/ipc-contract';
import type { JobSummary, JobTrigger } from '../../shared/job';
import type { Plan } from '../../shared/plan';
import type { KdfSetting } from './crypto/container';

/**
 * The OS login item, from the shell (Electron's login item settings, an XDG autostart entry):
 * start Lifeboat when the user logs in, minimised to the tray, so that schedules run.
 */
export interface DesktopIntegration {
  getStartAtLogin(): boolean;
  setStartAtLogin(on: boolean): void;
}

export interface CoreOptions {
  dataDir: string;
  appVersion: string;
  secrets: SecretStore;
  notifier?: Notifier;
  clock?: Clock;
  /** better_sqlite3.node built for the running runtime; Electron passes its own build */
  nativeBinding?: string;
  /** at most this many jobs run at once (default 2) */
  maxConcurrentJobs?: number;
  /** who the audit log names for actions through the handler map (default 'user') */
  actor?: string;
  /** tests and benchmarks only: container chunk size and KDF cost */
  containerOptions?: { chunkSize?: number; kdf?: KdfSetting };
  /** delivery timeout, overdue-check period, disk probe of the notification service */
  notifications?: NotificationServiceOptions;
  /** start at login; only the desktop app has it (not the CLI, not the browser tests) */
  desktop?: DesktopIntegration;
  /**
   * Takes (once) the .lifeboat file the app was started with or asked to open before its window
   * listened (command line, file manager, macOS open-file); only the desktop app has one.
   */
  pendingOpenFile?: () => string | null;
}

export interface LifeboatCore {
  readonly dataDir: string;
  readonly appVersion: string;
  readonly catalog: CatalogDb;
  readonly plans: PlansRepo;
  readonly jobs: JobsRepo;
  readonly audit: AuditRepo;
  readonly verifications: VerificationsRepo;
  readonly settings: SettingsRepo;
  readonly events: EventBus;
  readonly runner: JobRunner;
  readonly secrets: SecretStore;
  readonly notifier: Notifier;
  /** desktop notifications, notification channels and alerts; subscribed to job updates */
  readonly notifications: NotificationService;
  readonly clock: Clock;
  readonly handlers: InvokeHandlers;
  /** arms scheduled plans; idle until the shell calls start() (the CLI never does) */
  readonly scheduler: Scheduler;
  /** the OS login item, when running as the desktop app */
  readonly desktop?: DesktopIntegration;
  /** the shell's pending file to open (see CoreOptions.pendingOpenFile) */
  readonly pendingOpenFile?: () => string | null;
  readonly containerOptions?: CoreOptions['containerOptions'];
  isPaused(): boolean;
  setPaused(paused: boolean): void;
  /** Starts a backup job of the plan; throws PLAN_BUSY if one is already pending or running. */
  startPlanBackup(plan: Plan, trigger: JobTrigger): JobSummary;
  /** Cancels running jobs (as a system cancel), waits for them, closes the catalog. */
  close(): Promise<void>;
}

/**
 * Builds the engine: opens the catalog, marks jobs a crash left running as interrupted (and
 * removes their temp files), and wires the handler map. No Electron here: the shell and the
 * CLI pass what differs between them.
 */
export function createLifeboatCore(options: CoreOptions): LifeboatCore {
  const clock = options.clock ?? systemClock;
  const catalog = openCatalog(options.dataDir, { nativeBinding: options.nativeBinding });
  const events = new EventBus();
  const jobs = new JobsRepo(catalog);
  const runner = new JobRunner({ jobs, events, clock, maxConcurrent: options.maxConcurrentJobs ?? 2 });
  let paused = false;

  const core: LifeboatCore = {
    dataDir: options.dataDir,
    appVersion: options.appVersion,
    catalog,
    plans: new PlansRepo(catalog),
    jobs,
    audit: new AuditRepo(catalog, () => clock.now()),
    verifications: new VerificationsRepo(catalog),
    settings: new SettingsRepo(catalog, () => clock.now()),
    containerOptions: options.containerOptions,
    events,
    runner,
    secrets: options.secrets,
    notifier: options.notifier ?? silentNotifier,
    desktop: options.desktop,
    pendingOpenFile: options.pendingOpenFile,
    clock,
    handlers: undefined as unknown as InvokeHandlers,
    scheduler: undefined as unknown as Scheduler,
    notifications: undefined as unknown as NotificationService,
    isPaused: () => paused,
    setPaused(next) {
      if (next === paused) return;
      paused = next;
      events.emit('app/paused-changed', { paused });
    },
    startPlanBackup(plan, trigger) {
      return runner.start(
        { kind: 'backup', planId: plan.id, planName: plan.name, trigger, backupType: plan.type },
        (ctx) => runPlanBackup(core, plan, ctx),
      );
    },
    async close() {
      // no slot may start a job while the running ones are being cancelled
      core.scheduler.stop();
      await runner.cancelAll('system');
      await core.notifications.close();
      catalog.close();
    },
  };
  (core as { handlers: InvokeHandlers }).handlers = createHandlers(core, options.actor);
  (core as { scheduler: Scheduler }).scheduler = new Scheduler({
    plans: core.plans,
    runner,
    audit: core.audit,
    events,
    clock,
    state: new ScheduleStateRepo(catalog),
    isPaused: () => core.isPaused(),
    startPlanBackup: (plan, trigger) => core.startPlanBackup(plan, trigger),
  });
  (core as { notifications: NotificationService }).notifications = new NotificationService(core, options.notifications);
  const recoveredFrom = clock.now().toISOString();
  const interrupted = runner.recoverInterrupted();
  if (interrupted > 0) core.audit.record('system', 'jobs.mark-interrupted', null, { count: interrupted });
  core.notifications.start({ interruptedSince: recoveredFrom });
  return core;
}
