/**
 * destinations/test through the handler map against real destinations: a local folder (and one
 * that cannot be written: a file where its folder should be), S3 (s3rver) with the typed, the
 * stored and a wrong secret, and SFTP (sshd) with a pinned, an unknown and a changed host key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../src/main/core/ipc/dispatch';
import type { DestinationInput, DestinationTestResult } from '../../../src/shared/destination';
import { planInput, savePlan } from '../../support/backup-fixtures';
import { startS3Server, type S3TestServer } from '../../support/s3-server';
import { startSftpServer, type SftpServer } from '../../support/sftp-server';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

const BUCKET = 'tested';
let s3: S3TestServer;
let sftp: SftpServer;
let work: string;
let core: ReturnType<typeof makeTestCore>;

beforeAll(async () => {
  [s3, sftp] = await Promise.all([startS3Server({ buckets: [BUCKET] }), startSftpServer()]);
  work = makeTempDir('lifeboat-dest-test-');
  core = makeTestCore({ notifications: { watchOverdue: false } });
}, 60_000);

afterAll(async () => {
  await core?.cleanup();
  await Promise.all([s3?.close(), sftp?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function test(destination: DestinationInput, extra: { planId?: string; secret?: string } = {}): Promise<DestinationTestResult> {
  const reply = await dispatch(core.handlers, 'destinations/test', { destination, ...extra });
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

const stepsOf = (result: DestinationTestResult) => result.steps.map((s) => `${s.step}:${s.ok ? 'ok' : 'failed'}`);

const s3Dest: DestinationInput = {
  id: 's3',
  kind: 's3',
  bucket: BUCKET,
  prefix: 'probe',
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: 'keychain',
  accessKeyId: 'S3RVER',
};

describe('destinations/test', () => {
  it('passes every step on a local folder and leaves nothing behind', async () => {
    const dir = path.join(work, 'folder');
    const result = await test({ id: 'usb', kind: 'local', path: dir });
    expect(result.ok).toBe(true);
    expect(result.url).toBe(dir);
    expect(stepsOf(result)).toEqual(['connect:ok', 'write:ok', 'read:ok', 'delete:ok']);
    for (const step of result.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(result.hostKey).toBeNull();
  });

  it('fails at write, with its message, on a folder that cannot be written', async () => {
    const blocker = path.join(work, 'not-a-folder');
    fs.writeFileSync(blocker, 'a file');
    const result = await test({ id: 'bad', kind: 'local', path: path.join(blocker, 'copies') });
    expect(result.ok).toBe(false);
    expect(stepsOf(result)).toEqual(['connect:ok', 'write:failed']);
    expect(result.steps[1]!.message).toMatch(/destination/i);
    expect(result.steps[1]!.message).toContain(blocker);
  });

  it("tests S3 with the typed secret, else the plan's stored one, and a wrong one fails without showing it", async () => {
    expect(stepsOf(await test({ ...s3Dest, endpoint: s3.endpoint }, { secret: s3.secretAccessKey }))).toEqual(['connect:ok', 'write:ok', 'read:ok', 'delete:ok']);

    const destination = path.join(work, 'primary');
    const plan = await savePlan(
      core,
      planInput({ name: 'Stored secret', destination, folders: [{ id: 'f', path: work }], options: { destination, encrypt: false, copies: [{ ...s3Dest, endpoint: s3.endpoint }] } }),
      { dbPasswords: {}, destSecrets: { s3: s3.secretAccessKey } },
    );
    const stored = await test({ ...s3Dest, endpoint: s3.endpoint }, { planId: plan.id });
    expect(stored.ok, JSON.stringify(stored.steps)).toBe(true);

    const wrong = 'definitely-Wrong-Secret-8812';
    const refused = await test({ ...s3Dest, endpoint: s3.endpoint }, { secret: wrong });
    expect(refused.ok).toBe(false);
    const failed = refused.steps.find((s) => !s.ok)!;
    expect(failed.message).toMatch(/refused the credentials/);
    expect(JSON.stringify(refused)).not.toContain(wrong);
    const audit = await dispatch(core.handlers, 'audit/list', { page: 1, pageSize: 50 });
    if (!audit.ok) throw new Error(audit.error.message);
    const tests = audit.value.items.filter((e) => e.action === 'destination.test');
    expect(tests.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(audit.value.items)).not.toContain(wrong);
    // nor the right one (the audit line names the destination by its URL only)
    expect(JSON.stringify(tests)).not.toContain(s3.secretAccessKey);
  });

  it("reports an SFTP server's host key: pinned, unknown with its fingerprint, changed and refused", async () => {
    const base: DestinationInput = {
      id: 'sftp',
      kind: 'sftp',
      host: sftp.host,
      port: sftp.port,
      user: sftp.user,
      path: path.join(sftp.root, 'tested'),
      auth: 'key',
      keyFile: sftp.userKeyFile,
    };
    const unknown = await test(base);
    expect(unknown.ok).toBe(false);
    expect(stepsOf(unknown)).toEqual(['connect:failed']);
    expect(unknown.hostKey).toEqual({ fingerprint: sftp.hostKeyFingerprint, status: 'unknown' });

    const pinned = await test({ ...base, hostKey: sftp.hostKeyFingerprint });
    expect(pinned.ok, JSON.stringify(pinned.steps)).toBe(true);
    expect(pinned.hostKey).toEqual({ fingerprint: sftp.hostKeyFingerprint, status: 'pinned' });

    const old = sftp.hostKeyFingerprint;
    const fresh = await sftp.replaceHostKey();
    const changed = await test({ ...base, hostKey: old });
    expect(changed.ok).toBe(false);
    expect(changed.hostKey).toEqual({ fingerprint: fresh, status: 'changed' });
    expect(changed.steps[0]!.message).toMatch(/not the one pinned/);
  });
});
