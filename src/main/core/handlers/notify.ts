/**
 * Handlers of the notification, alert and settings channels. Arguments arrive validated (see
 * dispatch); each change and action is written to the audit log, never with a secret.
 */
import type { InvokeHandlers } from '../../../shared/ipc-contract';
import { applyDesktopPatch, checkDesktopPatch, readDesktopSettings } from '../desktop-settings';
import type { LifeboatCore } from '../lifeboat';

type NotifyChannels =
  | 'notify/list-channels'
  | 'notify/save-channel'
  | 'notify/delete-channel'
  | 'notify/test-channel'
  | 'alerts/list'
  | 'settings/get'
  | 'settings/set';

export function createNotifyHandlers(core: LifeboatCore, actor = 'user'): Pick<InvokeHandlers, NotifyChannels> {
  return {
    'notify/list-channels': () => core.notifications.channels.list(),
    'notify/save-channel': async ({ channel, secret }) => {
      const { channel: saved, created } = await core.notifications.saveChannel(channel, secret);
      core.audit.record(actor, created ? 'notify.channel-create' : 'notify.channel-update', saved.id, {
        name: saved.name,
        kind: saved.kind,
        enabled: saved.enabled,
        onSuccess: saved.onSuccess,
        secretChanged: secret !== undefined,
      });
      return saved;
    },
    'notify/delete-channel': async ({ id }) => {
      const channel = await core.notifications.deleteChannel(id);
      core.audit.record(actor, 'notify.channel-delete', id, { name: channel.name, kind: channel.kind });
      return { deleted: true };
    },
    'notify/test-channel': async ({ id }) => {
      core.audit.record(actor, 'notify.test', id);
      await core.notifications.testChannel(id);
      return { delivered: true };
    },
    'alerts/list': ({ page, pageSize }) => core.notifications.alerts.list(page, pageSize),
    'settings/get': () => ({ ...core.notifications.getSettings(), ...readDesktopSettings(core.settings, core.desktop) }),
    'settings/set': (patch) => {
      checkDesktopPatch(patch, core.desktop);
      const settings = {
        ...core.notifications.updateSettings(patch),
        ...applyDesktopPatch(patch, core.settings, core.desktop),
      };
      core.audit.record(actor, 'settings.update', null, patch);
      return settings;
    },
  };
}
