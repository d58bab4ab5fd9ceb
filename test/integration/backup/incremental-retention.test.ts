/**
 * Folder backups over several runs of one plan: incrementals that store only what changed
 * (size+mtime, then content hash), and retention that prunes the oldest file after a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/main/core/archive/reader';
import type { ManifestFolderSource } from '../../../src/shared/manifest';
import { FAST_CONTAINER, PASSPHRASE, listTree, planInput, runPlan, savePlan } from '../../support/backup-fixtures';
import { makeTempDir, makeTestCore } from '../../support/temp-core';

let work: string;
let core: ReturnType<typeof makeTestCore>;

beforeAll(() => {
  work = makeTempDir('lifeboat-incr-');
  core = makeTestCore({ containerOptions: FAST_CONTAINER });
});

afterAll(async () => {
  await core?.cleanup();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const OLD = new Date(Date.UTC(2024, 5, 1, 12, 0, 0));

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
    fs.utimesSync(abs, OLD, OLD);
  }
}

function fileNames(manifest: Awaited<ReturnType<typeof readManifest>>): string[] {
  const source = manifest.sources[0] as ManifestFolderSource;
  return manifest.entries
    .filter((e) => e.kind === 'file' && e.sourceId === source.id)
    .map((e) => e.path!)
    .sort();
}

describe('an incremental folder plan', () => {
  it('stores everything first, then only the files whose content changed', async () => {
    const root = path.join(work, 'incr-src');
    const destination = path.join(work, 'incr-dest');
    writeFiles(root, {
      'changed.txt': 'version one of the text',
      'touched.txt': 'same content, new mtime',
      'deleted.txt': 'about to go',
      'untouched.txt': 'left alone',
      'sub/untouched.bin': '\u0000\u0001\u0002 binary-ish',
    });
    const plan = await savePlan(
      core,
      planInput({
        name: 'Incremental docs',
        type: 'incremental',
        destination,
        folders: [{ id: 'docs', path: root }],
        options: { destination, verifyAfter: true },
      }),
      { dbPasswords: {}, passphrase: PASSPHRASE },
    );

    const first = await runPlan(core, plan);
    expect(first.status, first.displayMessage ?? '').toBe('success');
    const m1 = await readManifest(first.filePath!, PASSPHRASE);
    expect(m1.type).toBe('full');
    expect(m1.baseBackupId).toBeNull();
    expect(core.jobs.backupTypeOf(first.id)).toBe('full');
    expect(fileNames(m1)).toEqual(['changed.txt', 'deleted.txt', 'sub/untouched.bin', 'touched.txt', 'untouched.txt']);

    // same size, other bytes: only the content hash can tell
    fs.writeFileSync(path.join(root, 'changed.txt'), 'version two of the text');
    const now = new Date();
    fs.utimesSync(path.join(root, 'touched.txt'), now, now);
    fs.writeFileSync(path.join(root, 'added.txt'), 'brand new');
    fs.rmSync(path.join(root, 'deleted.txt'));

    const second = await runPlan(core, plan);
    expect(second.status, second.displayMessage ?? '').toBe('success');
    expect(core.verifications.latestStatus(second.id)).toBe('passed');
    expect(second.filePath).not.toBe(first.filePath);
    const m2 = await readManifest(second.filePath!, PASSPHRASE);
    expect(m2.type).toBe('incremental');
    expect(m2.baseBackupId).toBe(first.id);
    expect(core.jobs.baseOf(second.id)).toBe(first.id);
    expect(fileNames(m2)).toEqual(['added.txt', 'changed.txt']);
    const unchanged = (m2.sources[0] as ManifestFolderSource).unchanged;
    expect(unchanged.map((u) => u.path).sort()).toEqual(['sub/untouched.bin', 'touched.txt', 'untouched.txt']);
    const touched = unchanged.find((u) => u.path === 'touched.txt')!;
    expect(touched.storedIn).toBe(first.id);
    expect(touched.mtimeMs).toBe(Math.floor(fs.statSync(path.join(root, 'touched.txt')).mtimeMs));
    expect(JSON.stringify(m2)).not.toContain('deleted.txt');
    expect(second.sources[0]!.message).toContain('3 unchanged');

    // nothing changed: everything points at the backup that holds its content
    const third = await runPlan(core, plan);
    const m3 = await readManifest(third.filePath!, PASSPHRASE);
    expect(m3.baseBackupId).toBe(second.id);
    expect(fileNames(m3)).toEqual([]);
    const storedIn = Object.fromEntries((m3.sources[0] as ManifestFolderSource).unchanged.map((u) => [u.path, u.storedIn]));
    expect(storedIn).toEqual({
      'added.txt': second.id,
      'changed.txt': second.id,
      'sub/untouched.bin': first.id,
      'touched.txt': first.id,
      'untouched.txt': first.id,
    });
    expect(listTree(destination)).toHaveLength(3);
  });
});

describe('retention', () => {
  it('keeps at most two backups: the third run deletes the oldest file and says so', async () => {
    const root = path.join(work, 'ret-src');
    const destination = path.join(work, 'ret-dest');
    writeFiles(root, { 'a.txt': 'a', 'b/c.txt': 'c'.repeat(10_000) });
    const plan = await savePlan(
      core,
      planInput({
        name: 'Keep two',
        destination,
        folders: [{ id: 'f', path: root }],
        retention: { days: null, maxCount: 2, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 },
        options: { destination, verifyAfter: true },
      }),
      { dbPasswords: {}, passphrase: PASSPHRASE },
    );
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const job = await runPlan(core, plan);
      expect(job.status, job.displayMessage ?? '').toBe('success');
      runs.push(job);
    }
    const [oldest, middle, newest] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect(new Set(runs.map((r) => r.filePath)).size).toBe(3);
    expect(fs.existsSync(oldest.filePath!)).toBe(false);
    expect(fs.existsSync(middle.filePath!)).toBe(true);
    expect(fs.existsSync(newest.filePath!)).toBe(true);
    expect(listTree(destination).sort()).toEqual([path.basename(middle.filePath!), path.basename(newest.filePath!)].sort());

    const pruned = core.jobs.get(oldest.id)!;
    expect(pruned.filePath).toBeNull();
    expect(pruned.displayMessage).toMatch(/Removed by retention: beyond max count 2/);
    expect(core.jobs.get(middle.id)!.filePath).toBe(middle.filePath);
    const prunes = core.audit.list(1, 100).items.filter((a) => a.action === 'backup.prune');
    expect(prunes.map((a) => a.target)).toEqual([oldest.id]);
    expect(prunes[0]!.actor).toBe('system');
  });
});
