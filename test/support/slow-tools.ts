/**
 * PostgreSQL client tools that wait before they do their work, for the tests that must stop
 * Lifeboat in the middle of a restore or a backup without racing it: a folder (to pass as
 * LIFEBOAT_PG_BIN) whose pg_restore / pg_dump are shell scripts that, for a real run (not
 * `--version` or `--list`), write their pid, sleep, and then exec the real tool. While one sleeps
 * the job is under way (a restore's new database exists) and cannot finish.
 *
 * No vitest import here: child processes may load it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SlowTools {
  /** the folder to pass as LIFEBOAT_PG_BIN */
  readonly dir: string;
  /** pids of the waiting scripts (and their sleeps) so far */
  pids(tool: SlowToolName): number[];
  /** Resolves with the first waiting script's pid once `tool` has started a real run. */
  started(tool: SlowToolName, timeoutMs?: number): Promise<number>;
  /** Kills every waiting script and sleep (SIGKILL): the tool then fails as if it crashed. */
  killAll(): void;
}

export type SlowToolName = 'pg_restore' | 'pg_dump';

/** Writes the wrapper scripts into `dir`, each waiting `waitSeconds` before exec'ing `realBinDir`'s tool. */
export function makeSlowTools(dir: string, realBinDir: string, waitSeconds = 120): SlowTools {
  fs.mkdirSync(dir, { recursive: true });
  const pidFile = (tool: SlowToolName) => path.join(dir, `${tool}.pids`);
  for (const tool of ['pg_restore', 'pg_dump'] as const) {
    const script = [
      '#!/bin/sh',
      '# a real run (not --version, not --list) waits first, so that a test can stop Lifeboat in the middle of it',
      'case " $* " in',
      '  *" --version "*|*" --list "*) ;;',
      `  *) echo $$ >> '${pidFile(tool)}'; sleep ${waitSeconds} & echo $! >> '${pidFile(tool)}'; wait $! ;;`,
      'esac',
      `exec '${path.join(realBinDir, tool)}' "$@"`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, tool), script, { mode: 0o755 });
  }
  // Lifeboat takes every client tool from LIFEBOAT_PG_BIN when it is set (never from PATH): psql
  // too, which some restores pipe pg_restore's script into; it need not wait
  fs.writeFileSync(path.join(dir, 'psql'), `#!/bin/sh\nexec '${path.join(realBinDir, 'psql')}' "$@"\n`, { mode: 0o755 });
  const pids = (tool: SlowToolName): number[] =>
    fs.existsSync(pidFile(tool))
      ? fs
          .readFileSync(pidFile(tool), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(Number)
      : [];
  return {
    dir,
    pids,
    async started(tool, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const [first] = pids(tool);
        if (first) return first;
        await sleep(50);
      }
      throw new Error(`${tool} did not start within ${timeoutMs} ms`);
    },
    killAll() {
      for (const tool of ['pg_restore', 'pg_dump'] as const) {
        for (const pid of pids(tool)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
  };
}
