/**
 * A plan's pre- and post-backup hooks: a command run without a shell (its words split here,
 * nothing expanded or substituted), with a timeout. What the run is about reaches it in
 * environment variables (LIFEBOAT_*), never in its command line. Pure: the plan editor and the
 * command line check a command as main runs it.
 */
import { z } from 'zod';

/** Longest a hook may run (seconds) and the default. */
export const MAX_HOOK_TIMEOUT_SECONDS = 86_400;
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 300;

/**
 * Splits a command line into words as a POSIX shell would split a simple command, and nothing
 * more: whitespace separates words; 'single quotes' keep everything; "double quotes" keep
 * everything but \" and \\; a backslash outside quotes keeps the next character. No variables,
 * globs, pipes or redirections: `$HOME`, `*`, `|` and `>` are ordinary characters.
 */
export function splitCommandLine(text: string): { ok: true; argv: string[] } | { ok: false; reason: string } {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\') {
      if (i + 1 >= text.length) return { ok: false, reason: 'the command ends with a backslash: remove it or escape it as \\\\' };
      word += text[++i];
    } else word += ch;
  }
  if (quote) return { ok: false, reason: `a ${quote === "'" ? 'single' : 'double'} quote is not closed` };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, reason: 'enter the command to run, for example /usr/local/bin/before-backup.sh' };
  return { ok: true, argv };
}

export const hookSchema = z.object({
  /** the program and its arguments, split by splitCommandLine; run without a shell */
  command: z
    .string()
    .trim()
    .min(1, 'Enter the command to run, for example /usr/local/bin/before-backup.sh')
    .max(4096)
    .superRefine((command, ctx) => {
      const split = splitCommandLine(command);
      if (!split.ok) ctx.addIssue({ code: 'custom', message: `The hook command cannot be read: ${split.reason}` });
    }),
  /** the hook is stopped (SIGTERM, then SIGKILL) after this many seconds, and fails */
  timeoutSeconds: z.number().int().min(1, 'Use a timeout of at least 1 second').max(MAX_HOOK_TIMEOUT_SECONDS, 'Use a timeout of at most 86400 seconds (one day)').default(DEFAULT_HOOK_TIMEOUT_SECONDS),
});
export type Hook = z.output<typeof hookSchema>;

export const hooksSchema = z
  .object({
    /** before anything is written; a failure (exit code not 0, timeout) fails the run */
    pre: hookSchema.nullable().default(null),
    /** after the run, whatever its outcome, with the backup's path and status */
    post: hookSchema.nullable().default(null),
  })
  .prefault({});
export type Hooks = z.output<typeof hooksSchema>;

export const HOOK_PHASES = ['pre', 'post'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** What a hook did, recorded on its job. */
export interface HookResult {
  phase: HookPhase;
  command: string;
  /** null when it was stopped by a signal or could not start */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** the end of what it wrote on stdout and stderr (interleaved as it came) */
  outputTail: string;
  /** set when it failed: why, in words */
  error: string | null;
}
