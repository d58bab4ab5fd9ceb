/**
 * Start at login (SPEC §8): whether the OS starts Lifeboat when the user logs in, and whether it
 * then stays in the tray. The first lives in the OS (the shell's login item, read each time so
 * that a change made in the OS settings shows); the second in the catalog, read by the shell at
 * start-up.
 */
import { AppError } from '../../shared/errors';
import type { DesktopSettings } from '../../shared/notify';
import type { SettingsRepo } from './catalog/settings-repo';
import type { DesktopIntegration } from './ports';

/** Catalog settings key of `startMinimized`. */
export const START_MINIMIZED_KEY = 'desktop.startMinimized';

/** Started at login: stay in the tray unless the user asked for the window (default: tray). */
export function startMinimized(settings: SettingsRepo): boolean {
  return settings.get(START_MINIMIZED_KEY, true);
}

export function readDesktopSettings(settings: SettingsRepo, desktop: DesktopIntegration | undefined): DesktopSettings {
  return { startAtLogin: desktop?.getStartAtLogin() ?? false, startMinimized: startMinimized(settings) };
}

/**
 * Throws VALIDATION, before anything changes, when the patch turns start at login on or off
 * where there is no desktop to do it (the CLI, a browser test).
 */
export function checkDesktopPatch(patch: Partial<DesktopSettings>, desktop: DesktopIntegration | undefined): void {
  if (patch.startAtLogin !== undefined && !desktop) {
    throw new AppError('VALIDATION', { detail: 'start at login can only be changed in the Lifeboat desktop app' });
  }
}

/** Applies the desktop part of a settings patch (call checkDesktopPatch first). */
export function applyDesktopPatch(
  patch: Partial<DesktopSettings>,
  settings: SettingsRepo,
  desktop: DesktopIntegration | undefined,
): DesktopSettings {
  if (patch.startMinimized !== undefined) settings.set(START_MINIMIZED_KEY, patch.startMinimized);
  if (patch.startAtLogin !== undefined) desktop?.setStartAtLogin(patch.startAtLogin);
  return readDesktopSettings(settings, desktop);
}
