/**
 * What quitting does while jobs run. Quitting used to cancel a running backup without a word;
 * now the user chooses. The decision is a pure function; index.ts shows the dialog and acts.
 */

/** What the user chose. */
export type QuitChoice = 'wait' | 'cancel-and-quit' | 'background' | 'stay';

export interface QuitContext {
  /** labels of the jobs this process runs ("Backup of Nightly"); jobs of the service are not ours to stop */
  activeJobs: readonly string[];
  /** the OS is shutting down or logging out: no one can answer a dialog */
  systemShutdown: boolean;
  /** a tray icon exists, so Lifeboat can keep running without a window */
  hasTray: boolean;
  /** the `lifeboat daemon` service holds the schedules: they run whether the app runs or not */
  serviceRunsSchedules: boolean;
}

export interface QuitDialog {
  message: string;
  detail: string;
  buttons: string[];
  /** choice per button, same order */
  choices: QuitChoice[];
  defaultId: number;
  cancelId: number;
}

export type QuitDecision = { kind: 'quit' } | { kind: 'ask'; dialog: QuitDialog };

/**
 * Quit at once when nothing of ours runs or the OS is going down (jobs are then cancelled as a
 * system cancel and the next start knows); otherwise ask: wait for the jobs and quit, cancel them
 * and quit, or keep running in the background (in the tray; without one, just don't quit).
 */
export function decideQuit(context: QuitContext): QuitDecision {
  if (context.activeJobs.length === 0 || context.systemShutdown) return { kind: 'quit' };
  const n = context.activeJobs.length;
  const what = n === 1 ? context.activeJobs[0]! : `${n} jobs (${context.activeJobs.join(', ')})`;
  const schedules = context.serviceRunsSchedules
    ? 'Scheduled backups keep running in the Lifeboat service after you quit.'
    : 'While Lifeboat is not running, no scheduled backup runs.';
  const stay = context.hasTray
    ? { label: 'Keep running in background', choice: 'background' as const }
    : { label: "Don't quit", choice: 'stay' as const };
  return {
    kind: 'ask',
    dialog: {
      message: n === 1 ? `${what} is still running.` : `${what} are still running.`,
      detail: `Quit when finished closes Lifeboat as soon as ${n === 1 ? 'it is' : 'they are'} done. Cancel and quit stops ${n === 1 ? 'it' : 'them'} now: nothing partial is kept, the job is recorded as cancelled. ${schedules}`,
      buttons: ['Quit when finished', n === 1 ? 'Cancel it and quit' : 'Cancel them and quit', stay.label],
      choices: ['wait', 'cancel-and-quit', stay.choice],
      defaultId: 0,
      cancelId: 2,
    },
  };
}

/** The choice behind a dialog's answer; an unknown index (dialog dismissed) is the cancel button. */
export function quitChoiceOf(dialog: QuitDialog, response: number): QuitChoice {
  return dialog.choices[response] ?? dialog.choices[dialog.cancelId]!;
}
