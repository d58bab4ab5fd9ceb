/**
 * WCAG 2.2 AA contrast of every colour pair the stylesheet draws text with, in the light and the
 * dark palette (app.css custom properties): 4.5:1 for text, 3:1 for the focus ring and the
 * borders that are a control's only outline. axe checks the pairs a screen happens to render;
 * this checks them all, including states no e2e test reaches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const css = fs.readFileSync(path.resolve(__dirname, '../../../src/renderer/src/styles/app.css'), 'utf8');

function palette(block: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const m of block.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) vars[m[1]!] = m[2]!.toLowerCase();
  return vars;
}

const rootBlock = /:root\s*\{([^}]*)\}/.exec(css)![1]!;
const darkBlock = /@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}/.exec(css)![1]!;
const light = palette(rootBlock);
const dark = { ...light, ...palette(darkBlock) };

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** [foreground, background, minimum] */
const TEXT_PAIRS: [string, string, number][] = [
  ...['bg', 'surface', 'surface-2'].flatMap((bg): [string, string, number][] => [
    ['text', bg, 4.5],
    ['muted', bg, 4.5],
    ['ok', bg, 4.5],
    ['warn', bg, 4.5],
    ['err', bg, 4.5],
    ['info', bg, 4.5],
    ['focus', bg, 3],
    ['control-border', bg, 3],
  ]),
  ['accent-text', 'accent', 4.5],
  ['accent-text', 'accent-hover', 4.5],
  ['ok', 'ok-bg', 4.5],
  ['warn', 'warn-bg', 4.5],
  ['err', 'err-bg', 4.5],
  ['info', 'info-bg', 4.5],
  ['muted', 'neutral-bg', 4.5],
  ['text', 'neutral-bg', 4.5],
  ['text', 'err-bg', 4.5],
  ['text', 'warn-bg', 4.5],
  ['text', 'info-bg', 4.5],
  ['text', 'ok-bg', 4.5],
  ['sidebar-text', 'sidebar', 4.5],
  ['sidebar-active', 'sidebar', 4.5],
];

describe.each([
  ['light', light],
  ['dark', dark],
])('the %s palette', (_name, colours) => {
  it.each(TEXT_PAIRS)('%s on %s reaches %s:1', (fg, bg, min) => {
    expect(colours[fg], `--${fg}`).toBeDefined();
    expect(colours[bg], `--${bg}`).toBeDefined();
    expect(contrast(colours[fg]!, colours[bg]!)).toBeGreaterThanOrEqual(min);
  });
});
