/**
 * The plan editor's Test of a destination (destinations/test): connect, write a small object
 * `.lifeboat-test-<random>` at the destination's root, read it back and compare, delete it.
 * Each step is timed and reports its own message; the first failure ends the test (a test object
 * already written is still removed, quietly). For SFTP the server's host key is reported: the
 * pinned one, or the fingerprint of an unknown (to accept and pin) or changed (refused) key.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { destinationUrl, type DestinationConfig, type DestinationTestResult, type DestinationTestStep } from '../../../shared/destination';
import { AppError } from '../../../shared/errors';
import type { Destination } from './destination';
import { openDestination, type OpenDestinationOptions } from './open';
import { presentedHostKey, SftpDestination } from './sftp';

/** The test object's bytes: a line that says what it is, then random bytes (a server that mangles binary shows). */
function testPayload(): Buffer {
  return Buffer.concat([Buffer.from('Lifeboat destination test object; safe to delete.\n'), crypto.randomBytes(1024)]);
}

/** An error as a step reports it: its message, with the secret (if it ever appeared) replaced. */
function stepMessage(error: unknown, secret: string | null | undefined): string {
  let message = error instanceof AppError ? error.message : error instanceof Error ? error.message : String(error);
  if (secret && secret.length >= 4) message = message.split(secret).join('***');
  return message;
}

/**
 * Tests one destination with the secret given (never recorded). Never throws: every failure is
 * a failed step of the result.
 */
export async function testDestination(config: DestinationConfig, options: OpenDestinationOptions = {}): Promise<DestinationTestResult> {
  const steps: DestinationTestStep[] = [];
  let hostKey: DestinationTestResult['hostKey'] = null;
  const url = destinationUrl(config);
  const step = async <T>(name: DestinationTestStep['step'], work: () => Promise<T>): Promise<T | undefined> => {
    const started = performance.now();
    try {
      const value = await work();
      steps.push({ step: name, ok: true, ms: Math.round(performance.now() - started), message: null });
      return value;
    } catch (error) {
      const presented = presentedHostKey(error);
      if (presented) hostKey = { fingerprint: presented.fingerprint, status: presented.status };
      steps.push({ step: name, ok: false, ms: Math.round(performance.now() - started), message: stepMessage(error, options.secret) });
      return undefined;
    }
  };
  const dest: Destination | undefined = await step('connect', () => openDestination(config, options));
  if (!dest) return { url, ok: false, steps, hostKey };
  if (dest instanceof SftpDestination) {
    const presented = dest.hostKey;
    if (presented) hostKey = { fingerprint: presented.fingerprint, status: 'pinned' };
  } else if (config.kind === 'sftp' && config.hostKey) {
    hostKey = { fingerprint: config.hostKey, status: 'pinned' };
  }
  const key = `.lifeboat-test-${crypto.randomBytes(8).toString('hex')}`;
  const payload = testPayload();
  let written = false;
  try {
    written =
      (await step('write', async () => {
        const result = await dest.write(key, Readable.from([payload]), { size: payload.length });
        if (result.size !== payload.length) throw new AppError('DEST_FAILED', { detail: `${url}: wrote ${result.size} of ${payload.length} bytes` });
        return true;
      })) === true;
    if (!written) return { url, ok: false, steps, hostKey };
    const read = await step('read', async () => {
      const back = await dest.read(key, 0, payload.length + 1);
      if (!back.equals(payload)) {
        throw new AppError('DEST_FAILED', { detail: `${url}: the object read back (${back.length} bytes) differs from the ${payload.length} bytes written` });
      }
      return true;
    });
    if (!read) return { url, ok: false, steps, hostKey };
    const deleted = await step('delete', async () => {
      await dest.delete(key);
      if (await dest.stat(key)) throw new AppError('DEST_FAILED', { detail: `${url}: the test object ${key} is still there after the delete` });
      written = false;
      return true;
    });
    return { url, ok: Boolean(deleted), steps, hostKey };
  } finally {
    if (written) await dest.delete(key).catch(() => undefined);
    await dest.close().catch(() => undefined);
  }
}
