/**
 * What the handler map works with: the core context plus the services built on it. Each handler
 * factory takes `Pick<HandlerContext, ...>` of what its channels use.
 */
import type { CoreContext } from '../context';
import type { ChannelAdmin } from '../notify/channel-admin';
import type { NotificationService } from '../notify/notification-service';
import type { DesktopIntegration, PathPicker } from '../ports';
import type { PauseSwitch } from '../scheduler/pause-switch';
import type { Scheduler } from '../scheduler/scheduler';
import type { SchedulerLease } from '../scheduler/scheduler-lease';

export interface HandlerContext extends CoreContext {
  /** arms scheduled plans; idle until the shell calls start() (the CLI never does) */
  readonly scheduler: Scheduler;
  /**
   * runs the scheduler only while this process holds the catalog's scheduler lease (one process
   * at a time: the app or the service); the app and the daemon start their schedules through it
   */
  readonly schedulerLease: SchedulerLease;
  /** desktop notifications, notification channels and alerts; subscribed to job updates */
  readonly notifications: NotificationService;
  /** creating, editing, deleting and testing notification channels */
  readonly channelAdmin: ChannelAdmin;
  readonly pause: PauseSwitch;
  /** the OS login item, when running as the desktop app */
  readonly desktop?: DesktopIntegration;
  /** takes (once) the .lifeboat file the app was asked to open before its window listened */
  readonly pendingOpenFile?: () => string | null;
  /** the OS open dialog, when running as the desktop app */
  readonly pathPicker?: PathPicker;
}
