/**
 * Editing .lifeboat files in tests: the header rewritten as a writer would have written it (its
 * SHA-256 recomputed for format 3 and later), so that what is tested is the edited value, not the
 * damage it would otherwise be.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { readContainerHeader } from '../../src/main/core/crypto/container';
import { AppError } from '../../src/shared/errors';

/** Rewrites a container's header JSON (the preamble's length, and the header hash when its format has one), keeping the rest. */
export async function rewriteHeader(file: string, edit: (header: Record<string, unknown>) => void, version?: number): Promise<void> {
  const bytes = fs.readFileSync(file);
  const { header, headerBytes } = await readContainerHeader(file);
  const json = header as unknown as Record<string, unknown>;
  edit(json);
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const pre = Buffer.from(bytes.subarray(0, 14));
  if (version !== undefined) pre.writeUInt16BE(version, 8);
  const hashed = pre.readUInt16BE(8) >= 3;
  pre.writeUInt32BE(text.length + (hashed ? 32 : 0), 10);
  const hash = hashed ? [crypto.createHash('sha256').update(pre).update(text).digest()] : [];
  fs.writeFileSync(file, Buffer.concat([pre, text, ...hash, bytes.subarray(headerBytes)]));
}

/** The AppError a promise rejects with (fails the test on anything else). */
export async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}
