/**
 * The taskbar / dock bar for a tray state, as the arguments of BrowserWindow.setProgressBar.
 * Windows draws the modes (a busy bar for queued jobs, a red one for a failure); macOS and Linux
 * know only a value, where >1 means busy and a full bar would read "done", so no error bar there.
 */
import type { TaskbarState } from '../core/tray-state';

export interface ProgressBarCall {
  progress: number;
  mode?: 'none' | 'normal' | 'indeterminate' | 'error';
}

export function progressBarCall(taskbar: TaskbarState, platform: NodeJS.Platform): ProgressBarCall {
  switch (taskbar.mode) {
    case 'normal':
      return { progress: Math.min(1, Math.max(0, taskbar.progress)), mode: 'normal' };
    case 'indeterminate':
      return { progress: 2, mode: 'indeterminate' };
    case 'error':
      return platform === 'win32' ? { progress: 1, mode: 'error' } : { progress: -1, mode: 'none' };
    default:
      return { progress: -1, mode: 'none' };
  }
}
