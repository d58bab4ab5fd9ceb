/**
 * The engine, assembled from plain parameters: the shell (Electron) and the CLI pass what differs
 * between them (data dir, keychain, notifier, clock, native binding); nothing here imports
 * electron. Built bottom up, each part from what exists before it:
 * context (catalog, repositories, event bus, job runner) -> services (pause switch, scheduler,
 * notifications, channel administration) -> handler map.
 */
import { AuditRepo } from './catalog/audit-repo';
import { CancelRequestsRepo } from './catalog/cancel-requests-repo';
import { openCatalog, type CatalogNotice } from './catalog/catalog';
import { JobsRepo } from './catalog/jobs-repo';
import { PlanLeasesRepo } from './catalog/plan-leases-repo';
import { PlansRepo } from './catalog/plans-repo';
import { ImportedBackupsRepo, RestoresRepo } from './catalog/restores-repo';
import { ScheduleStateRepo } from './catalog/schedule-state-repo';
import { SchedulerLeaseRepo, type SchedulerRole } from './catalog/scheduler-lease-repo';
import { SettingsRepo } from './catalog/settings-repo';
import { VerificationsRepo } from './catalog/verifications-repo';
import type { ContainerOptions, CoreContext } from './context';
import { createHandlers, type HandlerContext } from './handlers';
import { CancelRequestWatcher } from './jobs/cancel-requests';
import { readMaxConcurrentJobs } from './jobs/concurrency-setting';
import { JobRunner } from './jobs/job-runner';
import { ChannelAdmin } from './notify/channel-admin';
import { NotificationService, type NotificationServiceOptions } from './notify/notification-service';
import { EventBus, silentNotifier, systemClock, type Clock, type DesktopIntegration, type Notifier, type PathPicker, type SecretStore } from './ports';
import { withPlanSecretRefs } from './plans/secret-refs';
import { installPlanCopyOpener } from './destinations/copy-locations';
import { PauseSwitch } from './scheduler/pause-switch';
import { Scheduler } from './scheduler/scheduler';
import { PlansWatcher } from './scheduler/plans-watcher';
import { SchedulerLease, type SchedulerLeaseTimings } from './scheduler/scheduler-lease';
import { startPlanBackup, type PlanRunOptions } from './tasks/plan-backup';
import { recoverTempDatabases } from './tasks/recover-temp-databases';
import { planStallProbe } from './tasks/stall-probe';
import { StallWatcher, stallMessage } from './jobs/stall-watch';
import { readStallMinutes } from './jobs/concurrency-setting';
import type { InvokeHandlers } from '../../shared/ipc-contract';
import type { JobSummary, JobTrigger } from '../../shared/job';
import type { Plan } from '../../shared/plan';

export interface CoreOptions {
  dataDir: string;
  appVersion: string;
  secrets: SecretStore;
  notifier?: Notifier;
  clock?: Clock;
  /** better_sqlite3.node built for the running runtime; Electron passes its own build */
  nativeBinding?: string;
  /** at most this many jobs run at once; default: the catalog's setting (settings/set maxConcurrentJobs, default 2), read at each start */
  maxConcurrentJobs?: number;
  /** tests only: the stall threshold and check period (default: the stallMinutes setting, every 30 s) */
  stall?: { thresholdMs?: number; intervalMs?: number };
  /** who the audit log names for actions through the handler map (default 'user') */
  actor?: string;
  /** tests and benchmarks only: container chunk size and KDF cost */
  containerOptions?: ContainerOptions;
  /** delivery timeout, overdue-check period, disk probe of the notification service */
  notifications?: NotificationServiceOptions;
  /** start at login; only the desktop app has it (not the CLI, not the browser tests) */
  desktop?: DesktopIntegration;
  /**
   * Takes (once) the .lifeboat file the app was started with or asked to open before its window
   * listened (command line, file manager, macOS open-file); only the desktop app has one.
   */
  pendingOpenFile?: () => string | null;
  /** the OS open dialog behind the window's Browse buttons; only the desktop app has one */
  pathPicker?: PathPicker;
  /**
   * Told what opening the catalog did that a user should hear of (created, a mode tightened);
   * the CLI prints it. Tightened modes are also written to the audit log.
   */
  onCatalogNotice?: (notice: CatalogNotice) => void;
  /** what this process is when it runs the schedules (schedulerLease.start()): 'app' (default) or 'service' */
  schedulerRole?: SchedulerRole;
  /** the scheduler lease's heartbeat, staleness and retry periods (the daemon takes them from the environment for tests) */
  schedulerLeaseTimings?: Partial<SchedulerLeaseTimings>;
}

export interface LifeboatCore extends HandlerContext {
  readonly handlers: InvokeHandlers;
  isPaused(): boolean;
  setPaused(paused: boolean): void;
  /**
   * Starts a backup job of the plan and audits it (as `actor`, default the core's); throws
   * PLAN_BUSY if one is already pending or running. `options.full`: this run starts a new chain.
   */
  startPlanBackup(plan: Plan, trigger: JobTrigger, actor?: string, options?: PlanRunOptions): JobSummary;
  /**
   * Resolves once the start-up recovery of databases that interrupted jobs left behind has
   * finished (it runs in the background: it takes the network).
   */
  whenRecovered(): Promise<void>;
  /** Cancels running jobs (as a system cancel), waits for them and for start-up recovery, closes the catalog. */
  close(): Promise<void>;
}

/** The catalog, its repositories, the event bus and the job runner. */
function createContext(options: CoreOptions): CoreContext {
  const clock = options.clock ?? systemClock;
  const notices: CatalogNotice[] = [];
  const catalog = openCatalog(options.dataDir, {
    nativeBinding: options.nativeBinding,
    onNotice: (notice) => {
      notices.push(notice);
      options.onCatalogNotice?.(notice);
    },
  });
  const events = new EventBus();
  const jobs = new JobsRepo(catalog);
  const plans = new PlansRepo(catalog);
  const audit = new AuditRepo(catalog, () => clock.now());
  const settings = new SettingsRepo(catalog, () => clock.now());
  for (const notice of notices) {
    if (notice.kind === 'permissions-tightened') audit.record('system', 'catalog.permissions-tightened', notice.path, { message: notice.message });
  }
  return {
    dataDir: options.dataDir,
    appVersion: options.appVersion,
    catalog,
    plans,
    jobs,
    audit,
    verifications: new VerificationsRepo(catalog),
    restores: new RestoresRepo(catalog),
    importedBackups: new ImportedBackupsRepo(catalog),
    settings,
    events,
    runner: new JobRunner({
      jobs,
      events,
      clock,
      // the setting is read at each start: a change in the app reaches the daemon's runner too
      maxConcurrent: options.maxConcurrentJobs ?? (() => readMaxConcurrentJobs(settings)),
      leases: new PlanLeasesRepo(catalog),
    }),
    // a plan's env:/file: secrets, where the store can read them (the CLI's)
    secrets: withPlanSecretRefs(options.secrets, plans),
    notifier: options.notifier ?? silentNotifier,
    clock,
    containerOptions: options.containerOptions,
  };
}

/**
 * Builds the engine: opens the catalog, marks jobs a crash left running as interrupted (and
 * removes their temp files; the databases they created are dropped in the background, see
 * whenRecovered), and wires the handler map. No Electron here: the shell and the
 * CLI pass what differs between them.
 */
export function createLifeboatCore(options: CoreOptions): LifeboatCore {
  const ctx = createContext(options);
  const actor = options.actor ?? 'user';
  const pause = new PauseSwitch(ctx.events);
  const scheduler = new Scheduler({
    plans: ctx.plans,
    runner: ctx.runner,
    audit: ctx.audit,
    events: ctx.events,
    clock: ctx.clock,
    state: new ScheduleStateRepo(ctx.catalog),
    isPaused: () => pause.isPaused(),
    startPlanBackup: (plan, trigger) => startPlanBackup(ctx, plan, trigger, 'scheduler'),
  });
  const schedulerLease = new SchedulerLease({
    repo: new SchedulerLeaseRepo(ctx.catalog),
    scheduler,
    plans: ctx.plans,
    state: new ScheduleStateRepo(ctx.catalog),
    audit: ctx.audit,
    events: ctx.events,
    isPaused: () => pause.isPaused(),
    role: options.schedulerRole ?? 'app',
    timings: options.schedulerLeaseTimings,
    // the dead holder's jobs are interrupted now (temp files removed), not at the next start
    onTakeover: () => {
      const count = ctx.runner.recoverInterrupted();
      if (count > 0) ctx.audit.record('system', 'jobs.mark-interrupted', null, { count });
    },
  });
  // a cancel asked for by another process (the app cancelling the service's job)
  const cancelRequests = new CancelRequestWatcher({ runner: ctx.runner, requests: new CancelRequestsRepo(ctx.catalog) });
  // plans saved by another process (the app while the service runs the schedules, a CLI): plans/changed here too
  const plansWatcher = new PlansWatcher({ catalog: ctx.catalog, events: ctx.events });
  const notifications = new NotificationService(ctx, options.notifications);
  // a running job without progress for the threshold is pushed as stalled, with what it waits on, and alerted
  const stallWatch = new StallWatcher({
    events: ctx.events,
    clock: ctx.clock,
    thresholdMs: () => options.stall?.thresholdMs ?? readStallMinutes(ctx.settings) * 60_000,
    intervalMs: options.stall?.intervalMs,
    probe: planStallProbe(ctx),
    onStalled: (job) => void notifications.jobStalled(job, stallMessage(job, ctx.clock.now())),
  });
  // a plan's off-site copies are read (restore, verify, preview from the nearest healthy copy) with
  // its destinations' settings and keychain secrets; other URLs go to the opener installed before
  const copyOpener = installPlanCopyOpener(ctx);
  const channelAdmin = new ChannelAdmin({
    channels: notifications.channels,
    secrets: ctx.secrets,
    clock: ctx.clock,
    sendTest: (channel) => notifications.sendTest(channel),
  });
  const services: HandlerContext = {
    ...ctx,
    scheduler,
    schedulerLease,
    notifications,
    channelAdmin,
    pause,
    desktop: options.desktop,
    pendingOpenFile: options.pendingOpenFile,
    pathPicker: options.pathPicker,
  };
  let recovery: Promise<void> = Promise.resolve();
  const core: LifeboatCore = {
    ...services,
    handlers: createHandlers(services, actor),
    isPaused: () => pause.isPaused(),
    setPaused: (paused) => pause.set(paused),
    startPlanBackup: (plan, trigger, by = actor, runOptions = {}) => startPlanBackup(ctx, plan, trigger, by, runOptions),
    whenRecovered: () => recovery,
    async close() {
      // no slot may start a job while the running ones are being cancelled; the next process may take the schedules over
      schedulerLease.stop();
      await ctx.runner.cancelAll('system');
      cancelRequests.stop();
      plansWatcher.stop();
      stallWatch.stop();
      await notifications.close();
      await copyOpener.uninstall();
      // a CLI command that ends at once must not cut the drop of a left-behind database short
      await recovery;
      ctx.catalog.close();
    },
  };
  const recoveredFrom = ctx.clock.now().toISOString();
  const interrupted = ctx.runner.recoverInterrupted();
  if (interrupted > 0) ctx.audit.record('system', 'jobs.mark-interrupted', null, { count: interrupted });
  // the databases jobs left behind are dropped over the network: in the background (each server
  // gets a short connect timeout), updating the jobs' rows and pushing jobs/updated; a note added
  // to a job that ended before this start is no reason to notify about that job again
  recovery = recoverTempDatabases(ctx, {
    announce: (job) => {
      notifications.alreadyNotified(job.id);
      ctx.events.emit('jobs/updated', job);
    },
  }).then(
    () => undefined,
    () => undefined,
  );
  notifications.start({ interruptedSince: recoveredFrom });
  cancelRequests.start();
  plansWatcher.start();
  stallWatch.start();
  return core;
}
