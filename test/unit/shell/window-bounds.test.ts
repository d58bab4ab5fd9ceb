import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SIZE,
  MIN_SIZE,
  readWindowState,
  validateWindowState,
  WINDOW_STATE_FILE,
  writeWindowState,
} from '../../../src/main/shell/window-bounds';

const laptop = { x: 0, y: 0, width: 1440, height: 876 };
const rightMonitor = { x: 1440, y: 0, width: 2560, height: 1400 };

// a plain temp folder: these tests need no engine
const makeTempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-shell-'));
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('remembered window bounds', () => {
  it('opens where it was when that place is on a display', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1300, height: 900 }, maximized: true };
    expect(validateWindowState(saved, [laptop, rightMonitor])).toEqual(saved);
  });

  it('centres the default size on the primary display when the saved monitor is gone', () => {
    const saved = { bounds: { x: 1600, y: 100, width: 1300, height: 900 }, maximized: false };
    const state = validateWindowState(saved, [laptop]);
    expect(state.bounds).toEqual({ x: (1440 - DEFAULT_SIZE.width) / 2, y: Math.round((876 - DEFAULT_SIZE.height) / 2), ...DEFAULT_SIZE });
  });

  it('shrinks a window larger than its display and pulls it fully onto it', () => {
    const saved = { bounds: { x: -100, y: 50, width: 3000, height: 2000 }, maximized: false };
    expect(validateWindowState(saved, [laptop]).bounds).toEqual({ x: 0, y: 0, width: 1440, height: 876 });
  });

  it('does not count a window whose title bar is off-screen (only its bottom edge shows)', () => {
    const saved = { bounds: { x: 100, y: -700, width: 1000, height: 760 }, maximized: false };
    const state = validateWindowState(saved, [laptop]);
    expect(state.bounds.y).toBeGreaterThanOrEqual(0);
    expect(state.bounds.width).toBe(DEFAULT_SIZE.width);
  });

  it('grows a too-small or nonsense saved size back to the minimum, and ignores garbage', () => {
    expect(validateWindowState({ bounds: { x: 10, y: 10, width: 200, height: 100 }, maximized: false }, [laptop]).bounds).toMatchObject(MIN_SIZE);
    const garbage = { bounds: { x: Number.NaN, y: 0, width: 100, height: 100 }, maximized: false };
    expect(validateWindowState(garbage, [laptop]).bounds.width).toBe(DEFAULT_SIZE.width);
    expect(validateWindowState(null, []).bounds).toEqual({ x: 0, y: 0, ...DEFAULT_SIZE });
  });

  it('keeps the state in a file and reads back nothing from a damaged one', () => {
    const dir = makeTempDir();
    dirs.push(dir);
    expect(readWindowState(dir)).toBeNull();
    writeWindowState(dir, { bounds: { x: 5, y: 6, width: 1000, height: 700 }, maximized: true });
    expect(readWindowState(dir)).toEqual({ bounds: { x: 5, y: 6, width: 1000, height: 700 }, maximized: true });
    fs.writeFileSync(path.join(dir, WINDOW_STATE_FILE), '{"bounds": {"x": 1');
    expect(readWindowState(dir)).toBeNull();
  });
});
