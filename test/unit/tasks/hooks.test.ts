/**
 * Hook commands: split into words as a shell would split a simple command and nothing more (no
 * variables, no globs, no pipes), refused naming the fix when they cannot be read; run without a
 * shell with a timeout that stops the whole process group; their output tail kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hookEnvironment, runHook } from '../../../src/main/core/hooks/run-hook';
import { postHookVariables } from '../../../src/main/core/tasks/plan-hooks';
import { hooksSchema, splitCommandLine } from '../../../src/shared/hooks';
import { planInputSchema } from '../../../src/shared/plan';
import { makeTempDir } from '../../support/temp-core';

const dir = makeTempDir('lifeboat-hooks-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('splitCommandLine', () => {
  it('splits words, keeps quoted text as it is, expands nothing', () => {
    expect(splitCommandLine(`/usr/bin/notify --to 'ops team' "say \\"hi\\"" a\\ b $HOME * | >x`)).toEqual({
      ok: true,
      argv: ['/usr/bin/notify', '--to', 'ops team', 'say "hi"', 'a b', '$HOME', '*', '|', '>x'],
    });
    expect(splitCommandLine(`cmd ''`)).toEqual({ ok: true, argv: ['cmd', ''] });
  });
  it('refuses what cannot be read, naming the fix', () => {
    expect(splitCommandLine(`cmd 'open`)).toEqual({ ok: false, reason: 'a single quote is not closed' });
    expect(splitCommandLine('cmd \\')).toMatchObject({ ok: false, reason: expect.stringContaining('ends with a backslash') });
    expect(splitCommandLine('   ')).toMatchObject({ ok: false, reason: expect.stringContaining('enter the command') });
  });
  it('is what the plan schema checks, with the timeout range', () => {
    const bad = hooksSchema.safeParse({ pre: { command: 'x "y' } });
    expect(bad.error?.issues[0]?.message).toBe('The hook command cannot be read: a double quote is not closed');
    expect(hooksSchema.safeParse({ post: { command: '' } }).error?.issues[0]?.message).toContain('Enter the command to run');
    expect(hooksSchema.safeParse({ pre: { command: 'x', timeoutSeconds: 0 } }).error?.issues[0]?.message).toBe('Use a timeout of at least 1 second');
    expect(hooksSchema.safeParse({ pre: { command: 'x', timeoutSeconds: 90_000 } }).error?.issues[0]?.message).toContain('at most 86400');
    expect(hooksSchema.parse({})).toEqual({ pre: null, post: null });
    expect(hooksSchema.parse({ pre: { command: ' /bin/true ' } })).toEqual({ pre: { command: '/bin/true', timeoutSeconds: 300 }, post: null });
    const plan = planInputSchema.safeParse({ name: 'p', folders: [{ id: 'f', path: '/x' }], options: { destination: '/d' }, hooks: { pre: { command: "it's" } } });
    expect(plan.success).toBe(false);
  });
});

describe('runHook', () => {
  const script = (name: string, body: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  };

  it('passes arguments as they are and the LIFEBOAT_* variables, without the passphrase', async () => {
    const file = script('echo.sh', 'echo "args:$1|$2"; echo "plan:$LIFEBOAT_PLAN_NAME pass:[$LIFEBOAT_PASSPHRASE]"');
    const { result, error } = await runHook({
      phase: 'pre',
      hook: { command: `${file} '$HOME; rm -rf /' "*"`, timeoutSeconds: 10 },
      variables: { LIFEBOAT_PLAN_NAME: 'Nightly' },
      baseEnv: { PATH: process.env.PATH, LIFEBOAT_PASSPHRASE: 'secret' },
    });
    expect(error).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, outputTail: 'args:$HOME; rm -rf /|*\nplan:Nightly pass:[]' });
    expect(hookEnvironment({ LIFEBOAT_PASSPHRASE: 'x', PGPASSWORD: 'y' }, { A: '1' })).toEqual({ PGPASSWORD: 'y', A: '1' });
  });

  it('fails with the exit code and the last line of output (HOOK_FAILED)', async () => {
    const { result, error } = await runHook({ phase: 'post', hook: { command: script('fail.sh', 'echo out; echo "disk full" >&2; exit 3'), timeoutSeconds: 10 }, variables: {} });
    expect(error?.code).toBe('HOOK_FAILED');
    expect(error?.message).toContain('exited with code 3: disk full');
    expect(result).toMatchObject({ phase: 'post', exitCode: 3, outputTail: 'out\ndisk full' });
  });

  it("stops a hook at its timeout, its children too (HOOK_TIMEOUT)", async () => {
    const started = Date.now();
    const { result, error } = await runHook({ phase: 'pre', hook: { command: script('slow.sh', 'sleep 20 & wait'), timeoutSeconds: 1 }, variables: {}, killGraceMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error?.code).toBe('HOOK_TIMEOUT');
    expect(error?.message).toContain('--hook-timeout');
    expect(result.timedOut).toBe(true);
  });

  it('names the fix for a program that is missing or not executable (HOOK_NOT_FOUND)', async () => {
    const missing = await runHook({ phase: 'pre', hook: { command: '/no/such/hook', timeoutSeconds: 5 }, variables: {} });
    expect(missing.error?.code).toBe('HOOK_NOT_FOUND');
    expect(missing.error?.message).toContain('no such program');
    const plain = path.join(dir, 'not-executable.sh');
    fs.writeFileSync(plain, 'echo hi\n', { mode: 0o644 });
    const denied = await runHook({ phase: 'pre', hook: { command: plain, timeoutSeconds: 5 }, variables: {} });
    expect(denied.error?.code).toBe('HOOK_NOT_FOUND');
    expect(denied.error?.message).toContain('chmod +x');
  });

  it("gives the post-backup hook the backup's path and status", () => {
    expect(postHookVariables('partial', { status: 'partial', filePath: '/b/x.lifeboat', sizeBytes: 12, checksum: 'ab', displayMessage: 'one failed', errorCode: 'PG_UNREACHABLE' }, null)).toEqual({
      LIFEBOAT_BACKUP_STATUS: 'partial',
      LIFEBOAT_BACKUP_PATH: '/b/x.lifeboat',
      LIFEBOAT_BACKUP_SIZE: '12',
      LIFEBOAT_BACKUP_SHA256: 'ab',
      LIFEBOAT_ERROR_CODE: 'PG_UNREACHABLE',
      LIFEBOAT_MESSAGE: 'one failed',
    });
    expect(postHookVariables('cancelled', null, { code: 'CANCELLED', message: 'Cancelled' })).toMatchObject({ LIFEBOAT_BACKUP_STATUS: 'cancelled', LIFEBOAT_BACKUP_PATH: '' });
  });
});
