#!/usr/bin/env node
/**
 * Draws Lifeboat's icons — a lifebuoy ring with four coloured bands — and writes them as PNG files into
 * resources/: icon.png (512 px, the app and installers) and tray-<state>.png (32 px) plus
 * tray-<state>-16.png for each tray state. No dependencies: PNG is a zlib stream with CRCs, which
 * Node has, so the icons can be regenerated anywhere with `node scripts/make-icons.mjs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'resources');

// ---------------------------------------------------------------- PNG encoding

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** RGBA pixels (Uint8Array, row by row) to a PNG file: 8-bit RGBA, no filtering. */
function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------- drawing

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

const WHITE = hex('#ffffff');
const OUTLINE = hex('#1f2937');

/** State colours; each state also has a glyph in the hole, so colour is never the only cue. */
const STATES = {
  idle: { ring: hex('#1f9d63'), glyph: null },
  running: { ring: hex('#2563eb'), glyph: 'dot' },
  failed: { ring: hex('#dc2626'), glyph: 'bang' },
  paused: { ring: hex('#6b7280'), glyph: 'bars' },
};

/**
 * The colour at a point of the unit square (0..1, y down), or null for transparent. The ring's
 * coloured bands sit at top, right, bottom and left like a real lifebuoy's.
 */
function shade(x, y, spec, { outline }) {
  const dx = x - 0.5;
  const dy = y - 0.5;
  const r = Math.hypot(dx, dy);
  const outer = 0.48;
  const inner = 0.25;
  const edge = outline;
  if (r <= outer && r >= inner) {
    if (r > outer - edge || r < inner + edge) return OUTLINE;
    // eight segments, the coloured ones centred on the axes: rotate by half a segment first
    const angle = Math.atan2(dy, dx) + Math.PI / 8;
    const band = Math.floor(((angle + 2 * Math.PI) % (2 * Math.PI)) / (Math.PI / 4));
    return band % 2 === 0 ? spec.ring : WHITE;
  }
  if (r < inner - edge) return glyph(dx, dy, spec);
  return null;
}

/** A small sign in the hole: a dot (running), ! (failed), || (paused). */
function glyph(dx, dy, spec) {
  switch (spec.glyph) {
    case 'dot':
      return Math.hypot(dx, dy) < 0.11 ? spec.ring : null;
    case 'bang':
      if (Math.abs(dx) < 0.045 && dy > -0.17 && dy < 0.05) return spec.ring;
      return Math.hypot(dx, dy - 0.12) < 0.05 ? spec.ring : null;
    case 'bars':
      return Math.abs(dy) < 0.13 && Math.abs(Math.abs(dx) - 0.065) < 0.04 ? spec.ring : null;
    default:
      return null;
  }
}

/** Renders at `size` px with 4×4 supersampling, so the small tray sizes stay smooth. */
function render(size, spec) {
  const samples = 4;
  // a hairline at 512 px would vanish at 16: keep the outline about one pixel wide
  const outline = Math.max(0.012, 0.9 / size);
  const pixels = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const colour = shade((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size, spec, { outline });
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          covered++;
        }
      }
      const i = (py * size + px) * 4;
      if (covered > 0) {
        // straight (not premultiplied) alpha, as PNG stores it
        pixels[i] = Math.round(r / covered);
        pixels[i + 1] = Math.round(g / covered);
        pixels[i + 2] = Math.round(b / covered);
        pixels[i + 3] = Math.round((covered / (samples * samples)) * 255);
      }
    }
  }
  return encodePng(size, size, pixels);
}

// ---------------------------------------------------------------- output

fs.mkdirSync(outDir, { recursive: true });
const written = [];
const write = (name, png) => {
  fs.writeFileSync(path.join(outDir, name), png);
  written.push(`${name} (${png.length} bytes)`);
};

// the app icon: the calm blue of the brand, not a state colour
write('icon.png', render(512, { ring: hex('#2563eb'), glyph: null }));
for (const [state, spec] of Object.entries(STATES)) {
  write(`tray-${state}.png`, render(32, spec));
  write(`tray-${state}-16.png`, render(16, spec));
}
console.log(`make-icons: wrote ${written.join(', ')} to ${path.relative(process.cwd(), outDir) || '.'}`);
