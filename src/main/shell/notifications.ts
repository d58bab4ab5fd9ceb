/**
 * Desktop notifications through Electron. Clicking one brings the window forward on that job.
 */
import path from 'node:path';
import { Notification } from 'electron';
import type { Notifier } from '../core/ports';
import { resourcesDir } from './paths';

export class ElectronNotifier implements Notifier {
  // a notification nobody references can be garbage-collected before it is clicked (Windows)
  private readonly live = new Set<Notification>();

  /** `openJob` shows the window and tells the renderer which job to show. */
  constructor(private readonly openJob: (jobId: string | null) => void) {}

  notify(message: Parameters<Notifier['notify']>[0]): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({
      title: message.title,
      body: message.body,
      icon: path.join(resourcesDir, 'icon.png'),
      urgency: message.level === 'error' ? 'critical' : 'normal',
      // a failure must stay until read; success may fade
      timeoutType: message.level === 'error' ? 'never' : 'default',
    });
    const forget = () => this.live.delete(notification);
    notification.on('click', () => {
      forget();
      this.openJob(message.jobId ?? null);
    });
    notification.on('close', forget);
    notification.on('failed', forget);
    this.live.add(notification);
    notification.show();
  }
}
