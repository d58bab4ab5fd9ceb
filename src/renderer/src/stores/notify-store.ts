/**
 * Notifications: the channels (webhook, Slack, Telegram, e-mail), the app settings (notify on
 * success, start at login) and the recent alerts, which 'alerts/raised' keeps current.
 */
import { create } from 'zustand';
import type { AlertEntry, AppSettings, ChannelInput, NotificationChannel } from '../../../shared/notify';
import { call } from '../lib/api';
import { toUiError, type UiError } from '../lib/errors';

/** How many alerts the dashboard keeps. */
export const RECENT_ALERTS = 8;

interface NotifyState {
  channels: NotificationChannel[];
  channelsLoaded: boolean;
  channelsError: UiError | null;
  settings: AppSettings | null;
  settingsError: UiError | null;
  alerts: AlertEntry[];
  alertsTotal: number;
  alertsLoaded: boolean;
  alertsError: UiError | null;
  loadChannels(): Promise<void>;
  /** Saves and reloads; throws so that the form can show the error next to its fields. */
  saveChannel(channel: ChannelInput, secret?: string): Promise<NotificationChannel>;
  deleteChannel(id: string): Promise<void>;
  /** Sends a test message; throws the delivery error (NOTIFY_FAILED names the reason). */
  testChannel(id: string): Promise<void>;
  loadSettings(): Promise<void>;
  /** Changes only the given settings; throws so that the screen can show the error in place. */
  updateSettings(patch: Partial<AppSettings>): Promise<void>;
  loadAlerts(): Promise<void>;
  /** from 'alerts/raised' */
  applyAlert(alert: AlertEntry): void;
}

let alertsSeq = 0;

export const useNotifyStore = create<NotifyState>()((set, get) => ({
  channels: [],
  channelsLoaded: false,
  channelsError: null,
  settings: null,
  settingsError: null,
  alerts: [],
  alertsTotal: 0,
  alertsLoaded: false,
  alertsError: null,

  async loadChannels() {
    try {
      const channels = await call('notify/list-channels');
      set({ channels, channelsLoaded: true, channelsError: null });
    } catch (error) {
      set({ channelsLoaded: true, channelsError: toUiError(error) });
    }
  },

  async saveChannel(channel, secret) {
    const saved = await call('notify/save-channel', secret === undefined ? { channel } : { channel, secret });
    await get().loadChannels();
    return saved;
  },

  async deleteChannel(id) {
    await call('notify/delete-channel', { id });
    await get().loadChannels();
  },

  async testChannel(id) {
    await call('notify/test-channel', { id });
  },

  async loadSettings() {
    try {
      set({ settings: await call('settings/get'), settingsError: null });
    } catch (error) {
      set({ settingsError: toUiError(error) });
    }
  },

  async updateSettings(patch) {
    const settings = await call('settings/set', patch);
    set({ settings, settingsError: null });
  },

  async loadAlerts() {
    const seq = ++alertsSeq;
    try {
      const page = await call('alerts/list', { page: 1, pageSize: RECENT_ALERTS });
      if (seq === alertsSeq) set({ alerts: page.items, alertsTotal: page.total, alertsLoaded: true, alertsError: null });
    } catch (error) {
      if (seq === alertsSeq) set({ alertsLoaded: true, alertsError: toUiError(error) });
    }
  },

  applyAlert(alert) {
    set((state) => {
      if (state.alerts.some((a) => a.id === alert.id)) return state;
      return { alerts: [alert, ...state.alerts].slice(0, RECENT_ALERTS), alertsTotal: state.alertsTotal + 1 };
    });
  },
}));
