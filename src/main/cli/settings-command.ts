/**
 * `lifeboat settings`: the engine settings the app's Settings screen changes, for a server
 * without a window. Today the number of jobs that may run at once, which the app and the
 * `lifeboat daemon` on the same data folder both read each time they start a job.
 */
import type { Command } from 'commander';
import { AppError } from '../../shared/errors';
import { MAX_CONCURRENT_JOBS, MIN_CONCURRENT_JOBS } from '../../shared/notify';
import type { HeadlessDeps } from './plan-commands';

/** `--max-jobs n`: a whole number in 1-8; VALIDATION naming the range. */
export function parseMaxJobs(text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(n >= MIN_CONCURRENT_JOBS && n <= MAX_CONCURRENT_JOBS)) {
    throw new AppError('VALIDATION', { detail: `--max-jobs takes a whole number from ${MIN_CONCURRENT_JOBS} to ${MAX_CONCURRENT_JOBS}; not "${text}"` });
  }
  return n;
}

export function registerSettingsCommand(program: Command, deps: HeadlessDeps): void {
  program
    .command('settings')
    .description('show or change the engine settings shared with the app (the number of jobs that may run at once)')
    .option('--max-jobs <n>', `how many jobs may run at once, ${MIN_CONCURRENT_JOBS}-${MAX_CONCURRENT_JOBS} (default 2); a running lifeboat daemon takes it at its next job`)
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const maxJobs = opts.maxJobs !== undefined ? parseMaxJobs(opts.maxJobs) : undefined;
      const core = deps.openCore(null);
      try {
        const settings = maxJobs !== undefined ? await core.handlers['settings/set']({ maxConcurrentJobs: maxJobs }) : await core.handlers['settings/get'](undefined);
        if (opts.json) deps.io.out(JSON.stringify({ maxConcurrentJobs: settings.maxConcurrentJobs, notifyOnSuccess: settings.notifyOnSuccess }, null, 2));
        else {
          deps.io.out(`max jobs at once:  ${settings.maxConcurrentJobs}${maxJobs !== undefined ? ' (changed)' : ''}`);
          deps.io.out(`notify on success: ${settings.notifyOnSuccess ? 'yes' : 'no'}`);
        }
      } finally {
        await core.close();
      }
    });
}
