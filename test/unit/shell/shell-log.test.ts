import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createShellLog, formatLogLine, LOG_FILE, logsDir, MAX_LOG_BYTES } from '../../../src/main/shell/shell-log';

// a plain temp folder: these tests need no engine
const makeTempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-shell-'));
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the app log', () => {
  it('lives in logs/ of the data folder and appends timestamped lines', () => {
    const dataDir = makeTempDir();
    dirs.push(dataDir);
    const log = createShellLog(logsDir(dataDir), () => new Date('2025-03-01T10:00:00.000Z'));
    log.write('info', 'starting');
    log.write('error', 'boom\nat line 2');
    const text = fs.readFileSync(path.join(dataDir, 'logs', LOG_FILE), 'utf8');
    expect(text).toBe('2025-03-01T10:00:00.000Z INFO  starting\n2025-03-01T10:00:00.000Z ERROR boom\n    at line 2\n');
  });

  it('starts a new file past the size limit, keeping one old generation', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, LOG_FILE), 'x'.repeat(MAX_LOG_BYTES + 1));
    createShellLog(dir).write('warn', 'after rotation');
    expect(fs.statSync(path.join(dir, 'main.old.log')).size).toBe(MAX_LOG_BYTES + 1);
    expect(fs.readFileSync(path.join(dir, LOG_FILE), 'utf8')).toMatch(/WARN  after rotation\n$/);
  });

  it('never throws when the folder cannot be written', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const blocked = path.join(dir, 'file-not-folder');
    fs.writeFileSync(blocked, '');
    expect(() => createShellLog(path.join(blocked, 'logs')).write('info', 'lost')).not.toThrow();
  });

  it('writes errors with their stack', () => {
    const line = formatLogLine(new Date(0), 'error', [new Error('bad')]);
    expect(line).toMatch(/^1970-01-01T00:00:00.000Z ERROR Error: bad\n\s+at /);
  });
});
