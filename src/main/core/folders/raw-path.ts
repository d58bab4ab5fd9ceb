/**
 * File names as the file system holds them: bytes. A POSIX name is any sequence of bytes but NUL
 * and '/', so a folder backup walks, stores and restores names as Buffers, and derives a string
 * only to show one (`displayPath`) or to match a selection against it. The manifest keeps the
 * bytes of each relative path in base64 (`rawPath`, docs/FORMAT.md).
 */

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

/** The relative path `parent/name` as bytes ('/' between them; just `name` at the top). */
export function joinRaw(parent: Buffer, name: Buffer): Buffer {
  return parent.length === 0 ? Buffer.from(name) : Buffer.concat([parent, Buffer.from([SLASH]), name]);
}

/** The segments of a relative path ('/' separators). */
export function rawSegments(raw: Buffer): Buffer[] {
  const segments: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === SLASH) {
      segments.push(raw.subarray(start, i));
      start = i + 1;
    }
  }
  return segments;
}

/** The parent of a relative path ('' for a top-level name). */
export function rawParent(raw: Buffer): Buffer {
  const at = raw.lastIndexOf(SLASH);
  return at === -1 ? Buffer.alloc(0) : raw.subarray(0, at);
}

/** The key of a relative path in maps (its base64, as the manifest's `rawPath`). */
export function rawKey(raw: Buffer): string {
  return raw.toString('base64');
}

/** FNV-1a (32 bits) of bytes [start, end) of `bytes`: the hash of a path or name in a table keyed by its bytes. */
export function fnv1a(bytes: Buffer, start = 0, end = bytes.length): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/**
 * The bytes a manifest's base64 `rawPath` (or symbolic link target) stands for, or null when it
 * is not canonical base64 (a damaged or crafted manifest).
 */
export function decodeRaw(base64: unknown): Buffer | null {
  if (typeof base64 !== 'string') return null;
  const raw = Buffer.from(base64, 'base64');
  return raw.toString('base64') === base64 ? raw : null;
}

/** Length of the UTF-8 sequence that starts at `at`, or 0 when the bytes there are not valid UTF-8. */
function utf8SequenceLength(bytes: Buffer, at: number): number {
  const b0 = bytes[at]!;
  if (b0 < 0x80) return 1;
  let length: number;
  let min: number;
  let code: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) [length, min, code] = [2, 0x80, b0 & 0x1f];
  else if (b0 >= 0xe0 && b0 <= 0xef) [length, min, code] = [3, 0x800, b0 & 0x0f];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [length, min, code] = [4, 0x10000, b0 & 0x07];
  else return 0;
  if (at + length > bytes.length) return 0;
  for (let i = 1; i < length; i++) {
    const b = bytes[at + i]!;
    if ((b & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (b & 0x3f);
  }
  // overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid UTF-8
  if (code < min || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return 0;
  return length;
}

const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

/**
 * A relative path (bytes) as text for previews and selections: its UTF-8, with each byte that
 * is not part of valid UTF-8 written `\xHH` and a backslash written `\\`, so that two different
 * names never show as the same text. Any other character (newline, tab, DEL...) stays itself.
 */
export function displayPath(raw: Buffer): string {
  let out = '';
  let plainFrom = 0;
  for (let at = 0; at < raw.length; ) {
    const b = raw[at]!;
    const length = b === BACKSLASH ? 0 : utf8SequenceLength(raw, at);
    if (length > 0) {
      at += length;
      continue;
    }
    out += raw.toString('utf8', plainFrom, at) + (b === BACKSLASH ? '\\\\' : hex(b));
    at += 1;
    plainFrom = at;
  }
  return out + raw.toString('utf8', plainFrom);
}

/** Characters Windows (Win32 names on NTFS) refuses in a name; '/' never occurs within one. */
const WINDOWS_RESERVED = new Set([...'"*:<>?|\\'].map((c) => c.charCodeAt(0)));
/** Device names Windows reserves, with any extension (`CON`, `nul.txt`, `COM1`). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;
/** Start of the private-use range reserved characters are mapped into, as Cygwin does. */
const PRIVATE_BASE = 0xf000;

/**
 * The name a POSIX name (bytes) gets on Windows, where NTFS through Win32 refuses some: each of
 * `" * : < > ? | \`, each control character (0x01-0x1f), a trailing space or dot, and each byte
 * that is not valid UTF-8 becomes U+F000 plus its value (Cygwin's mapping, so Cygwin and WSL
 * tools show the original name); a reserved device name (`CON`, `nul.txt`) has its last
 * character before the extension mapped the same way. `mapped` tells whether anything changed.
 */
export function windowsName(name: Buffer): { name: string; mapped: boolean } {
  const chars: string[] = [];
  let mapped = false;
  for (let at = 0; at < name.length; ) {
    const b = name[at]!;
    const length = utf8SequenceLength(name, at);
    if (length === 0 || b < 0x20 || WINDOWS_RESERVED.has(b)) {
      chars.push(String.fromCharCode(PRIVATE_BASE + b));
      mapped = true;
      at += 1;
    } else {
      chars.push(name.toString('utf8', at, at + length));
      at += length;
    }
  }
  // trailing dots and spaces: Win32 strips them, so "a." and "a" would be one file
  for (let i = chars.length - 1; i >= 0 && (chars[i] === ' ' || chars[i] === '.'); i--) {
    chars[i] = String.fromCharCode(PRIVATE_BASE + chars[i]!.charCodeAt(0));
    mapped = true;
  }
  const text = chars.join('');
  const device = WINDOWS_DEVICE.exec(text);
  if (device) {
    const last = device[1]!.length - 1;
    const stem = [...device[1]!];
    stem[last] = String.fromCharCode(PRIVATE_BASE + stem[last]!.charCodeAt(0));
    return { name: stem.join('') + text.slice(device[1]!.length), mapped: true };
  }
  return { name: text, mapped };
}
