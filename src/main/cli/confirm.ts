/**
 * Asking before a change that cannot be taken back (delete a plan, a backup; apply an import):
 * on a terminal the question is asked on stderr and answered on stdin; without one (a script,
 * cron, a pipe) nothing can answer, so the command must say --yes itself.
 */
import readline from 'node:readline/promises';
import { AppError } from '../../shared/errors';

export interface ConfirmOptions {
  /** --yes was given */
  yes: boolean;
  /** whether stdin is a terminal (default: process.stdin's) */
  stdinIsTty?: boolean;
  /** what to pass instead, named in the refusal: "--yes", "--yes (or --dry-run to only look)" */
  hint?: string;
}

/**
 * Resolves true to go ahead: --yes, or "y"/"yes" typed on the terminal. False when the person at
 * the terminal said no. VALIDATION (exit 2) when stdin is not a terminal and --yes was not given.
 */
export async function confirm(question: string, options: ConfirmOptions): Promise<boolean> {
  if (options.yes) return true;
  const interactive = options.stdinIsTty ?? Boolean(process.stdin.isTTY);
  if (!interactive) {
    throw new AppError('VALIDATION', { detail: `nothing was changed: stdin is not a terminal, so nobody can confirm; pass ${options.hint ?? '--yes'}` });
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
