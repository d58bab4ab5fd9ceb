import { runCli } from '../../src/main/cli/index';

/**
 * Runs the CLI in-process with captured output, stdout and stdin not terminals, and an
 * environment of PATH plus `env` (give it LIFEBOAT_HOME: the test's data dir).
 */
export async function runCliCaptured(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { PATH: process.env.PATH, ...env },
    isTty: false,
    stdinIsTty: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
