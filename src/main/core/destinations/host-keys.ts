/**
 * SSH host keys for the SFTP destination: the SHA-256 fingerprint as `ssh-keygen -l` prints it
 * (what the user compares and accepts, what a destination pins), and OpenSSH known_hosts files
 * (plain names and patterns, hashed `|1|salt|hash` entries, `[host]:port` for other ports than
 * 22, `@revoked` markers) for the command line, which checks host keys like ssh does.
 */
import crypto from 'node:crypto';

/**
 * The fingerprint of a host key in the SSH wire format (the blob a server presents, or the
 * base64 field of a known_hosts or .pub line): `SHA256:` + the unpadded base64 of its SHA-256.
 */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a wire-format key names first (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...); null when it is not one. */
export function hostKeyType(key: Buffer): string | null {
  if (key.length < 4) return null;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return null;
  const type = key.toString('latin1', 4, 4 + length);
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` (this key is refused for these hosts) or `@cert-authority` (not used here); null for a plain line */
  marker: 'revoked' | 'cert-authority' | null;
  /** the host field as written: `name,name2,[name]:2222,*.example.com,!bad.example.com` or `|1|salt|hash` */
  hosts: string;
  type: string;
  key: Buffer;
  fingerprint: string;
  /** 1-based line number in the file, for messages */
  line: number;
}

/** The entries of a known_hosts file's text; comments, blank and malformed lines are skipped (as ssh does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0].startsWith('@')) {
      const name = fields.shift()!.slice(1);
      if (name !== 'revoked' && name !== 'cert-authority') return;
      marker = name;
    }
    const [hosts, type, encoded] = fields;
    if (!hosts || !type || !encoded || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return;
    const key = Buffer.from(encoded, 'base64');
    // the blob names its own type: a line whose two disagree is damaged
    if (hostKeyType(key) !== type) return;
    entries.push({ marker, hosts, type, key, fingerprint: hostKeyFingerprint(key), line: index + 1 });
  });
  return entries;
}

/** The name known_hosts lists a host under: `host` on port 22, `[host]:port` on any other (lower case, as ssh writes it). */
export function knownHostsName(host: string, port = 22): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** ssh's wildcard match: `*` any run of characters, `?` exactly one. */
function wildcardMatch(pattern: string, name: string): boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(name);
}

/**
 * Whether a known_hosts host field names `host` on `port`: a hashed `|1|salt|hash` entry is the
 * HMAC-SHA1 of the name under the salt; a plain field is a comma list of names and wildcard
 * patterns, where a matching `!pattern` excludes the host whatever else matches.
 */
export function knownHostsFieldMatches(field: string, host: string, port = 22): boolean {
  const name = knownHostsName(host, port);
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
  }
  let matched = false;
  for (const raw of field.toLowerCase().split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (pattern === '' || !wildcardMatch(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/**
 * What a known_hosts file says of the key a host presented: `known` (listed for this host),
 * `unknown` (the host is not listed), `changed` (the host is listed, with other keys only), or
 * `revoked` (this key is marked @revoked). `listed` holds the fingerprints the file has for the host.
 */
export type KnownHostsVerdict =
  | { status: 'known'; line: number }
  | { status: 'unknown' }
  | { status: 'changed'; listed: string[] }
  | { status: 'revoked'; line: number };

/** Checks the key `host`:`port` presented against the entries of a known_hosts file. */
export function checkKnownHosts(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): KnownHostsVerdict {
  const fingerprint = hostKeyFingerprint(key);
  const forHost = entries.filter((entry) => entry.marker !== 'cert-authority' && knownHostsFieldMatches(entry.hosts, host, port));
  const revoked = forHost.find((entry) => entry.marker === 'revoked' && entry.fingerprint === fingerprint);
  if (revoked) return { status: 'revoked', line: revoked.line };
  const listed = forHost.filter((entry) => entry.marker === null);
  const match = listed.find((entry) => entry.fingerprint === fingerprint);
  if (match) return { status: 'known', line: match.line };
  if (listed.length === 0) return { status: 'unknown' };
  return { status: 'changed', listed: [...new Set(listed.map((entry) => entry.fingerprint))] };
}

/**
 * The key types a known_hosts file lists for a host, so that the connection asks the server for
 * one of those first (as ssh does): a server with an RSA and an Ed25519 key, known by its RSA key,
 * is then checked against that key rather than refused for presenting the other.
 */
export function knownHostKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types = entries
    .filter((entry) => entry.marker === null && knownHostsFieldMatches(entry.hosts, host, port))
    .map((entry) => entry.type);
  return [...new Set(types)];
}
