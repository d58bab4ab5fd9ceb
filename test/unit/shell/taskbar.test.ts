import { describe, expect, it } from 'vitest';
import { progressBarCall } from '../../../src/main/shell/taskbar';

describe('the taskbar bar', () => {
  it('shows progress, a busy bar for queued jobs, and removes itself when idle', () => {
    expect(progressBarCall({ mode: 'normal', progress: 0.25 }, 'linux')).toEqual({ progress: 0.25, mode: 'normal' });
    expect(progressBarCall({ mode: 'normal', progress: 7 }, 'linux').progress).toBe(1);
    expect(progressBarCall({ mode: 'indeterminate', progress: 0 }, 'darwin')).toEqual({ progress: 2, mode: 'indeterminate' });
    expect(progressBarCall({ mode: 'none', progress: 0 }, 'win32')).toEqual({ progress: -1, mode: 'none' });
  });

  it('is red on Windows after a failure, and absent where a full bar would read "done"', () => {
    expect(progressBarCall({ mode: 'error', progress: 1 }, 'win32')).toEqual({ progress: 1, mode: 'error' });
    expect(progressBarCall({ mode: 'error', progress: 1 }, 'darwin')).toEqual({ progress: -1, mode: 'none' });
  });
});
