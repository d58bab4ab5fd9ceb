/**
 * The main window's size and position, remembered across starts and checked against the
 * displays of this start: a monitor unplugged since, a resolution lowered or a file edited by
 * hand must never open the window off-screen or larger than the screen.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1200, height: 800 } as const;
export const MIN_SIZE = { width: 880, height: 560 } as const;
/** How much of the window's top strip (its title bar) must be on a display to be reachable. */
export const MIN_VISIBLE = { width: 120, height: 40 } as const;

export const WINDOW_STATE_FILE = 'window-state.json';

const isRect = (value: unknown): value is Rect =>
  typeof value === 'object' &&
  value !== null &&
  ['x', 'y', 'width', 'height'].every((k) => Number.isFinite((value as Record<string, unknown>)[k]));

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Where the window opens: the saved bounds when their title bar is on one of `workAreas`
 * (shrunk to fit that display and moved inside it), else the default size centred on the
 * primary display (`workAreas[0]`). Never smaller than the minimum size the display allows.
 */
export function validateWindowState(saved: WindowState | null, workAreas: readonly Rect[]): WindowState {
  const primary = workAreas[0] ?? { x: 0, y: 0, ...DEFAULT_SIZE };
  const centred = (area: Rect): Rect => {
    const width = Math.min(DEFAULT_SIZE.width, area.width);
    const height = Math.min(DEFAULT_SIZE.height, area.height);
    return {
      x: Math.round(area.x + (area.width - width) / 2),
      y: Math.round(area.y + (area.height - height) / 2),
      width,
      height,
    };
  };
  if (!saved || !isRect(saved.bounds) || saved.bounds.width <= 0 || saved.bounds.height <= 0) {
    return { bounds: centred(primary), maximized: false };
  }
  const b = saved.bounds;
  const titleBar: Rect = { x: b.x, y: b.y, width: b.width, height: Math.min(b.height, MIN_VISIBLE.height) };
  const home = workAreas.find((area) => {
    const o = overlap(titleBar, area);
    return o.width >= Math.min(MIN_VISIBLE.width, b.width) && o.height >= Math.min(MIN_VISIBLE.height, b.height);
  });
  const maximized = saved.maximized === true;
  if (!home) return { bounds: centred(primary), maximized };
  const width = Math.min(Math.max(Math.round(b.width), Math.min(MIN_SIZE.width, home.width)), home.width);
  const height = Math.min(Math.max(Math.round(b.height), Math.min(MIN_SIZE.height, home.height)), home.height);
  const x = Math.min(Math.max(Math.round(b.x), home.x), home.x + home.width - width);
  const y = Math.min(Math.max(Math.round(b.y), home.y), home.y + home.height - height);
  return { bounds: { x, y, width, height }, maximized };
}

/** The saved state in `dir`, or null when there is none or it cannot be read. */
export function readWindowState(dir: string): WindowState | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, WINDOW_STATE_FILE), 'utf8')) as Partial<WindowState>;
    if (!isRect(parsed.bounds)) return null;
    return { bounds: parsed.bounds, maximized: parsed.maximized === true };
  } catch {
    return null;
  }
}

/** Saves the state (temp file, then rename: a crash never leaves half a file). Never throws. */
export function writeWindowState(dir: string, state: WindowState): void {
  const file = path.join(dir, WINDOW_STATE_FILE);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch (error) {
    console.warn('Lifeboat: could not save the window position', error);
  }
}
