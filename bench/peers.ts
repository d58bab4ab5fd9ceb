/**
 * The tools a user would pick instead of Lifeboat for folders, run the way their own docs say,
 * all encrypted: restic (what Backrest runs), borg (what Vorta runs) and
 * `tar | zstd -3 | openssl enc -aes-256-ctr`. Secrets reach them only through files and the
 * environment (RESTIC_PASSWORD_FILE, BORG_PASSPHRASE, openssl's -pass file:), never an argument
 * another user could read in `ps`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './proc';

/** What the folder benchmark runs besides Lifeboat; `tar` stands for the tar | zstd | openssl pipeline. */
export const REQUIRED_TOOLS = ['restic', 'borg', 'zstd', 'openssl', 'tar'] as const;

/**
 * The tools of REQUIRED_TOOLS not on PATH, and the Debian line that installs them (the exact
 * `sudo apt-get install -y restic borgbackup zstd`, plus whatever else is missing).
 */
export function missingTools(): { missing: string[]; installLine: string } {
  const missing = REQUIRED_TOOLS.filter((tool) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status !== 0);
  const extra = missing.filter((t) => t === 'openssl' || t === 'tar');
  return { missing, installLine: ['sudo apt-get install -y restic borgbackup zstd', ...extra].join(' ') };
}

export type PeerName = 'restic' | 'borg' | 'tar';

/** Where a peer keeps one backup (a repository or an output file) and what it needs to open it. */
export interface PeerSecrets {
  /** file holding the passphrase (restic, openssl) */
  passFile: string;
  /** the same passphrase, for borg, which takes it from its environment */
  passphrase: string;
}

/**
 * One peer tool: prepare a fresh destination (not timed), then back up, back up again after a
 * change, restore one file or the whole tree. Each timed method resolves with its wall time in
 * ms, the tool's process start-up included (it is part of what a user waits for).
 */
export interface Peer {
  name: PeerName;
  /** creates an empty repository at `dest` (restic init, borg init); not timed */
  init(dest: string): Promise<void>;
  /** the first backup of `source` into `dest` */
  backup(dest: string, source: string): Promise<number>;
  /** the next backup of `source` after `backup`; `marker` is a file older than every change (tar's find -newer) */
  incremental(dest: string, source: string, marker: string): Promise<number>;
  /** restores `rel` (a file, relative to `source`), or everything when null, from the first backup into `target` */
  restore(dest: string, source: string, target: string, rel: string | null): Promise<number>;
  /** the folder below `target` where a restore puts `source`'s tree */
  restoredRoot(target: string, source: string): string;
  /** paths to remove when `dest` is no longer needed (repository, cache, state) */
  leftovers(dest: string): string[];
  /** bytes the backup takes on disk */
  sizeBytes(dest: string): number;
}

function treeBytes(root: string): number {
  const stat = fs.statSync(root);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(root).reduce((sum, name) => sum + treeBytes(path.join(root, name)), 0);
}

const timed = async (cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string) => (await run(cmd, args, env, undefined, { cwd })).ms;

/** restic with a repository per destination (format 2: compressed, its default here) and its cache next to it. */
function restic(secrets: PeerSecrets): Peer {
  const env = (dest: string) => ({ RESTIC_REPOSITORY: dest, RESTIC_PASSWORD_FILE: secrets.passFile, RESTIC_CACHE_DIR: `${dest}.cache` });
  return {
    name: 'restic',
    init: async (dest) => void (await run('restic', ['init', '--quiet'], env(dest))),
    backup: (dest, source) => timed('restic', ['backup', '--quiet', source], env(dest)),
    // same host and path: restic takes the first snapshot as the parent and skips unchanged files by their metadata
    incremental: (dest, source) => timed('restic', ['backup', '--quiet', source], env(dest)),
    restore: (dest, source, target, rel) =>
      timed('restic', ['restore', 'latest', '--quiet', '--target', target, ...(rel ? ['--include', path.join(source, rel)] : [])], env(dest)),
    // restic restores the absolute path of the backed-up folder below the target
    restoredRoot: (target, source) => path.join(target, source),
    leftovers: (dest) => [dest, `${dest}.cache`],
    sizeBytes: (dest) => treeBytes(dest),
  };
}

/** borg 1.x, repokey encryption, zstd level 3; its config, cache and security state per repository. */
function borg(secrets: PeerSecrets): Peer {
  const env = (dest: string) => ({ BORG_PASSPHRASE: secrets.passphrase, BORG_BASE_DIR: `${dest}.home` });
  // run from the parent, naming the folder: the archive holds `<name>/...`, as a user's would
  const create = (dest: string, source: string, archive: string) =>
    timed('borg', ['create', '--compression', 'zstd,3', `${dest}::${archive}`, path.basename(source)], env(dest), path.dirname(source));
  return {
    name: 'borg',
    init: async (dest) => void (await run('borg', ['init', '--encryption', 'repokey', dest], env(dest))),
    backup: (dest, source) => create(dest, source, 'first'),
    // the files cache (size, ctime, inode) lets it skip unchanged files without reading them
    incremental: (dest, source) => create(dest, source, 'second'),
    restore: async (dest, source, target, rel) => {
      fs.mkdirSync(target, { recursive: true });
      return timed('borg', ['extract', `${dest}::first`, ...(rel ? [`${path.basename(source)}/${rel}`] : [])], env(dest), target);
    },
    restoredRoot: (target, source) => path.join(target, path.basename(source)),
    leftovers: (dest) => [dest, `${dest}.home`],
    sizeBytes: (dest) => treeBytes(dest),
  };
}

/**
 * `tar | zstd -3 -T0 | openssl enc -aes-256-ctr -pbkdf2` into one file. Its "incremental" is a
 * tar of the files `find -newer` a marker names; its restore decrypts and decompresses the whole
 * stream (a tar file has no index), extracting one member or everything. The paths go in as
 * environment variables and positional arguments: no quoting of file names into the script.
 */
function tarPipe(secrets: PeerSecrets): Peer {
  const bash = (script: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
    timed('bash', ['-c', `set -euo pipefail; ${script}`, 'bash', ...args], { PASSFILE: secrets.passFile, ...env });
  const seal = 'zstd -3 -T0 -q | openssl enc -aes-256-ctr -pbkdf2 -pass file:"$PASSFILE" > "$OUT"';
  const where = (dest: string, source: string) => ({ OUT: dest, PARENT: path.dirname(source), NAME: path.basename(source) });
  return {
    name: 'tar',
    init: async (dest) => void fs.mkdirSync(path.dirname(dest), { recursive: true }),
    backup: (dest, source) => bash(`tar -C "$PARENT" -cf - "$NAME" | ${seal}`, where(dest, source)),
    incremental: (dest, source, marker) =>
      bash(`cd "$PARENT" && find "$NAME" -type f -newer "$MARKER" -print0 | tar --null -T - -cf - | ${seal}`, {
        ...where(`${dest}.incr`, source),
        MARKER: marker,
      }),
    restore: async (dest, source, target, rel) => {
      fs.mkdirSync(target, { recursive: true });
      return bash(
        'openssl enc -d -aes-256-ctr -pbkdf2 -pass file:"$PASSFILE" -in "$IN" | zstd -d -q | tar -x -C "$TARGET" "$@"',
        { IN: dest, TARGET: target },
        ...(rel ? [`${path.basename(source)}/${rel}`] : []),
      );
    },
    restoredRoot: (target, source) => path.join(target, path.basename(source)),
    leftovers: (dest) => [dest, `${dest}.incr`],
    sizeBytes: (dest) => fs.statSync(dest).size + (fs.existsSync(`${dest}.incr`) ? fs.statSync(`${dest}.incr`).size : 0),
  };
}

/** The three peers, in the order the tables show them. */
export function makePeers(secrets: PeerSecrets): Peer[] {
  return [restic(secrets), borg(secrets), tarPipe(secrets)];
}
