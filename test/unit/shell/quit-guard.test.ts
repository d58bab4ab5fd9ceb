import { describe, expect, it } from 'vitest';
import { decideQuit, quitChoiceOf, type QuitContext } from '../../../src/main/shell/quit-guard';

const context = (overrides: Partial<QuitContext> = {}): QuitContext => ({
  activeJobs: ['Backup of Nightly'],
  systemShutdown: false,
  hasTray: true,
  serviceRunsSchedules: false,
  ...overrides,
});

describe('quitting while jobs run', () => {
  it('quits at once when nothing of ours runs, or when the OS is shutting down', () => {
    expect(decideQuit(context({ activeJobs: [] }))).toEqual({ kind: 'quit' });
    expect(decideQuit(context({ systemShutdown: true }))).toEqual({ kind: 'quit' });
  });

  it('asks instead of silently cancelling: wait, cancel and quit, or keep running in the background', () => {
    const decision = decideQuit(context());
    if (decision.kind !== 'ask') throw new Error('expected a question');
    const { dialog } = decision;
    expect(dialog.message).toBe('Backup of Nightly is still running.');
    expect(dialog.buttons).toEqual(['Quit when finished', 'Cancel it and quit', 'Keep running in background']);
    expect(dialog.buttons.map((_, i) => quitChoiceOf(dialog, i))).toEqual(['wait', 'cancel-and-quit', 'background']);
    // Escape / closing the dialog must never cancel a backup
    expect(quitChoiceOf(dialog, dialog.cancelId)).toBe('background');
    expect(quitChoiceOf(dialog, 99)).toBe('background');
    expect(dialog.detail).toContain('no scheduled backup runs');
  });

  it('without a tray, the safe answer is not to quit', () => {
    const decision = decideQuit(context({ hasTray: false, activeJobs: ['Backup of A', 'Restore of B'] }));
    if (decision.kind !== 'ask') throw new Error('expected a question');
    expect(decision.dialog.message).toBe('2 jobs (Backup of A, Restore of B) are still running.');
    expect(decision.dialog.buttons[2]).toBe("Don't quit");
    expect(quitChoiceOf(decision.dialog, decision.dialog.cancelId)).toBe('stay');
  });

  it('says that the service keeps the schedules when it holds them', () => {
    const decision = decideQuit(context({ serviceRunsSchedules: true }));
    expect(decision.kind === 'ask' && decision.dialog.detail).toContain('keep running in the Lifeboat service');
  });
});
