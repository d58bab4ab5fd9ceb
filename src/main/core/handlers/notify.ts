/**
 * Handlers of the notification, alert and settings channels. Arguments arrive validated (see
 * dispatch); each change and action is written to the audit log, never with a secret.
 */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { applyDesktopPatch, checkDesktopPatch, readDesktopSettings } from '../desktop-settings';
import { readMaxConcurrentJobs, readStallMinutes, writeMaxConcurrentJobs, writeStallMinutes } from '../jobs/concurrency-setting';
import type { HandlerContext } from './handler-context';

type NotifyChannels =
  | 'notify/list-channels'
  | 'notify/save-channel'
  | 'notify/delete-channel'
  | 'notify/test-channel'
  | 'alerts/list'
  | 'settings/get'
  | 'settings/set';

export function createNotifyHandlers(
  ctx: Pick<HandlerContext, 'notifications' | 'channelAdmin' | 'settings' | 'desktop' | 'audit' | 'runner'>,
  actor = 'user',
): Pick<InvokeHandlers, NotifyChannels> {
  return {
    'notify/list-channels': () => ctx.channelAdmin.list(),
    'notify/save-channel': async ({ channel, secret }) => {
      const { channel: saved, created } = await ctx.channelAdmin.save(channel, secret);
      ctx.audit.record(actor, created ? 'notify.channel-create' : 'notify.channel-update', saved.id, {
        name: saved.name,
        kind: saved.kind,
        enabled: saved.enabled,
        onSuccess: saved.onSuccess,
        secretChanged: secret !== undefined,
      });
      return saved;
    },
    'notify/delete-channel': async ({ id }) => {
      const channel = await ctx.channelAdmin.delete(id);
      ctx.audit.record(actor, 'notify.channel-delete', id, { name: channel.name, kind: channel.kind });
      return { deleted: true };
    },
    'notify/test-channel': async ({ id }) => {
      ctx.audit.record(actor, 'notify.test', id);
      await ctx.channelAdmin.test(id);
      return { delivered: true };
    },
    'alerts/list': ({ page, pageSize }) => ctx.notifications.alerts.list(page, pageSize),
    'settings/get': () => ({
      ...ctx.notifications.getSettings(),
      ...readDesktopSettings(ctx.settings, ctx.desktop),
      maxConcurrentJobs: readMaxConcurrentJobs(ctx.settings),
      stallMinutes: readStallMinutes(ctx.settings),
    }),
    'settings/set': (patch) => {
      checkDesktopPatch(patch, ctx.desktop);
      const settings = {
        ...ctx.notifications.updateSettings(patch),
        ...applyDesktopPatch(patch, ctx.settings, ctx.desktop),
        maxConcurrentJobs:
          patch.maxConcurrentJobs !== undefined ? writeMaxConcurrentJobs(ctx.settings, patch.maxConcurrentJobs) : readMaxConcurrentJobs(ctx.settings),
        stallMinutes: patch.stallMinutes !== undefined ? writeStallMinutes(ctx.settings, patch.stallMinutes) : readStallMinutes(ctx.settings),
      };
      // a higher cap starts waiting jobs now; a lower one lets running jobs finish
      if (patch.maxConcurrentJobs !== undefined) ctx.runner.capacityChanged();
      ctx.audit.record(actor, 'settings.update', null, patch);
      return settings;
    },
  };
}
