/**
 * The folder section of `npm run bench` (issue #14's targets): Lifeboat against restic, borg and
 * `tar | zstd -3 | openssl enc`, all encrypted, on the same generated data in the same run.
 *
 *   5 x 400 MB incompressible files, first backup (Lifeboat also with verify)
 *   ~40k small files (~500 MB, text and random, nested), first backup (also with verify)
 *   the same after 1 % of the files changed: Lifeboat incremental, restic's and borg's next
 *     backup, tar of the files `find -newer` names
 *   restore one file, and the whole tree, out of the 40k backup (restored bytes checked)
 *   100k, 10k and 1k tiny files, first backup
 *   scale step: Lifeboat alone on BENCH_SCALE_FILES (1M) tiny files: peak RSS against 100k, the slope
 *     (then verified, as a plan's run does; the log has verify's peak); then the whole tree restored
 *     out of that backup: peak RSS against the 40k tree's restore
 *
 * Each timed item runs BENCH_FOLDER_ROUNDS (3) rounds, the tools' order reversed every other
 * round, each tool on a fresh repository or output (so each is a first backup), after a `sync`
 * (nobody pays for another's dirty pages) and with its input read just before (the page cache
 * is warm for everyone: caches cannot be dropped here, and borg drops the files it read from the
 * cache with posix_fadvise, which made whoever ran after it read from disk: tar's 100k-file backup
 * took 7 s after borg, 1.2 s otherwise). Medians are compared; Lifeboat's peak RSS
 * is the highest of its rounds. Lifeboat runs in a child process (folder-child.ts, bundled by
 * esbuild like the shipped CLI, so tsx's own memory is not counted as Lifeboat's).
 *
 * Knobs: BENCH_FOLDER_ROUNDS, BENCH_FOLDER_SCALE (multiplies file counts and sizes, e.g. 0.2),
 * BENCH_SCALE_FILES, BENCH_SCALE_TIMEOUT_S (3600), BENCH_FOLDER_ITEMS (a subset of
 * big,small,incremental,restore,tiny,few,scale), BENCH_LEVEL (Lifeboat's level, 1),
 * BENCH_CHILD=tsx (run the child from source instead of a bundle).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { changeSomeFiles, countTree, sha256File, writeBigFiles, writeSmallMix, writeTinyFiles, type GeneratedSet } from './folder-data';
import { makePeers, type Peer, type PeerName } from './peers';
import { median, run } from './proc';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const PASSPHRASE = 'bench passphrase, not a secret';
const ITEMS = ['big', 'small', 'incremental', 'restore', 'tiny', 'few', 'scale'] as const;
type Item = (typeof ITEMS)[number];
type Tool = 'lifeboat' | PeerName;
const TOOLS: Tool[] = ['lifeboat', 'restic', 'borg', 'tar'];
const TOOL_LABEL: Record<Tool, string> = { lifeboat: 'lifeboat', restic: 'restic', borg: 'borg', tar: 'tar+zstd+openssl' };

/** One timed run of one tool. */
interface Sample {
  ms: number;
  maxRssMB?: number;
  verifyMs?: number;
  sizeBytes?: number;
}

/** What Lifeboat's child prints. */
interface ChildResult extends Sample {
  filePath?: string;
  verifyMaxRssMB?: number;
  bytesWritten?: number;
  files?: number;
}

/** One tool in a timed item: set up (not timed), the timed run, then checks and cleanup (not timed). */
interface Contender {
  tool: Tool;
  prepare?: (round: number) => Promise<void>;
  /** what the timed run reads (source folder, backup), read once just before it */
  input: (round: number) => string[];
  measure: (round: number) => Promise<Sample>;
  after?: (round: number, sample: Sample) => Promise<void> | void;
}

interface Row {
  work: string;
  samples: Map<Tool, Sample[]>;
}

interface Config {
  rounds: number;
  scale: number;
  scaleFiles: number;
  scaleTimeoutMs: number;
  items: Set<Item>;
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  const items = new Set((env.BENCH_FOLDER_ITEMS ?? ITEMS.join(',')).split(',').map((s) => s.trim()) as Item[]);
  for (const item of items) if (!ITEMS.includes(item)) throw new Error(`BENCH_FOLDER_ITEMS: unknown item ${item} (known: ${ITEMS.join(', ')})`);
  // the restore and the incremental start from the 40k first backups, the slope from the 100k row
  if (items.has('restore') || items.has('incremental')) items.add('small');
  if (items.has('scale')) items.add('tiny');
  const scale = Number(env.BENCH_FOLDER_SCALE ?? 1);
  if (!(scale > 0)) throw new Error('BENCH_FOLDER_SCALE must be a positive number');
  return {
    rounds: Math.max(1, Number(env.BENCH_FOLDER_ROUNDS ?? 3)),
    scale,
    scaleFiles: Math.max(1, Number(env.BENCH_SCALE_FILES ?? 1_000_000)),
    scaleTimeoutMs: Number(env.BENCH_SCALE_TIMEOUT_S ?? 3600) * 1000,
    items,
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const count = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const log = (line: string) => console.error(`[folders] ${line}`);

/** Lets the kernel write back what the last run left dirty, so the next one does not pay for it. */
const settle = async () => void (await run('sync', []));

/** Reads every file at or under `paths` once, so that every tool starts from the same warm page cache. */
async function warm(paths: string[], quiet = false): Promise<void> {
  const existing = paths.filter((p) => fs.existsSync(p));
  // find with no path would read the current folder
  if (existing.length === 0) return;
  const { ms } = await run('bash', ['-c', 'find "$@" -type f -print0 | xargs -0 -r cat > /dev/null', 'bash', ...existing]);
  if (!quiet) log(`read ${paths.join(', ')} once (warm cache) in ${s(ms)}`);
}

const rm = (...paths: string[]) => {
  for (const p of paths) fs.rmSync(p, { recursive: true, force: true });
};

/** The command that starts Lifeboat's child: a bundle of folder-child.ts (default) or tsx on the source. */
async function childCommand(bundleDir: string): Promise<string[]> {
  if (process.env.BENCH_CHILD === 'tsx') return ['--import', 'tsx', path.join(here, 'folder-child.ts')];
  // bundled as scripts/build-cli.mjs bundles the CLI: our code in one file, npm packages imported
  // from node_modules (found from out/, as out/cli/lifeboat.mjs finds them)
  const outfile = path.join(bundleDir, 'folder-child.mjs');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  await build({
    absWorkingDir: root,
    entryPoints: [path.join(here, 'folder-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.15',
    packages: 'external',
    define: { __LIFEBOAT_VERSION__: JSON.stringify(version) },
    logLevel: 'warning',
  });
  return [outfile];
}

class FolderBench {
  readonly rows: Row[] = [];
  readonly facts = new Map<string, number>();
  private readonly peers: Peer[];
  private readonly passFile: string;

  constructor(
    private readonly work: string,
    private readonly config: Config,
    private readonly child: string[],
  ) {
    this.passFile = path.join(work, 'passphrase');
    fs.writeFileSync(this.passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    this.peers = makePeers({ passFile: this.passFile, passphrase: PASSPHRASE });
  }

  private out(...parts: string[]): string {
    const dir = path.join(this.work, 'out');
    fs.mkdirSync(dir, { recursive: true });
    return path.join(dir, parts.join('-'));
  }

  /** Runs Lifeboat's child with `args`; the passphrase goes in its environment. */
  private async lifeboat(args: string[], timeoutMs?: number): Promise<ChildResult> {
    const { stdout } = await run(process.execPath, [...this.child, ...args], { LIFEBOAT_PASSPHRASE: PASSPHRASE }, undefined, { timeoutMs });
    return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
  }

  /** Runs the contenders for the configured rounds, reversing their order every other round. */
  private async timeRounds(work: string, contenders: Contender[]): Promise<Row> {
    const samples = new Map<Tool, Sample[]>();
    for (let round = 0; round < this.config.rounds; round++) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        await c.prepare?.(round);
        await warm(c.input(round), true);
        await settle();
        const sample = await c.measure(round);
        await c.after?.(round, sample);
        samples.set(c.tool, [...(samples.get(c.tool) ?? []), sample]);
        const extra = [
          sample.verifyMs !== undefined ? `verify ${s(sample.verifyMs)}` : '',
          sample.maxRssMB !== undefined ? `peak RSS ${sample.maxRssMB.toFixed(0)} MB` : '',
          sample.sizeBytes !== undefined ? `size ${mb(sample.sizeBytes)}` : '',
        ].filter(Boolean);
        log(`${work} | round ${round + 1} | ${TOOL_LABEL[c.tool]}: ${s(sample.ms)}${extra.length ? ` (${extra.join(', ')})` : ''}`);
      }
    }
    const row = { work, samples };
    this.rows.push(row);
    return row;
  }

  /**
   * First backups of `source` by every tool, each round into a fresh destination. With `keep`,
   * every round's backups stay (the incremental and the restores start from them) and are
   * returned per tool and round; otherwise each is removed once measured.
   */
  private async firstBackups(work: string, source: string, tag: string, opts: { verify?: boolean; keep?: boolean } = {}): Promise<Map<Tool, string[]>> {
    const kept = new Map<Tool, string[]>(TOOLS.map((t) => [t, []]));
    const keep = (tool: Tool, round: number, dest: string) => {
      kept.get(tool)![round] = dest;
    };
    const contenders: Contender[] = [
      {
        tool: 'lifeboat',
        input: () => [source],
        prepare: async (round) => {
          rm(this.out(tag, 'lifeboat', String(round)));
          fs.mkdirSync(this.out(tag, 'lifeboat', String(round)));
        },
        measure: (round) => this.lifeboat(['backup', source, this.out(tag, 'lifeboat', String(round)), ...(opts.verify ? ['--verify'] : [])]),
        after: (round, sample) => {
          if (opts.keep) keep('lifeboat', round, (sample as ChildResult).filePath!);
          else rm(this.out(tag, 'lifeboat', String(round)));
        },
      },
      ...this.peers.map((peer): Contender => {
        const dest = (round: number) => this.out(tag, peer.name, String(round));
        return {
          tool: peer.name,
          input: () => [source],
          prepare: async (round) => {
            rm(...peer.leftovers(dest(round)));
            await peer.init(dest(round));
          },
          measure: async (round) => ({ ms: await peer.backup(dest(round), source) }),
          after: (round, sample) => {
            sample.sizeBytes = peer.sizeBytes(dest(round));
            if (opts.keep) keep(peer.name, round, dest(round));
            else rm(...peer.leftovers(dest(round)));
          },
        };
      }),
    ];
    await this.timeRounds(work, contenders);
    return kept;
  }

  /** 5 x 400 MB of random bytes: the cost per byte (compression of incompressible data, encryption, hashing). */
  async big(): Promise<void> {
    const size = Math.round(400e6 * this.config.scale);
    const dir = path.join(this.work, 'big');
    const started = performance.now();
    writeBigFiles(dir, 5, size, 'big');
    log(`generated 5 x ${mb(size)} in ${s(performance.now() - started)}`);
    await warm([dir]);
    await this.firstBackups(`5 x ${mb(size)} incompressible, first backup`, dir, 'big', { verify: true });
    rm(dir);
  }

  /**
   * ~40k small files: first backups (kept), then the restores out of them, then 1 % of the
   * files changed and each tool's next backup on top of its first one of the same round.
   */
  async small(): Promise<void> {
    const files = Math.round(40_000 * this.config.scale);
    const dir = path.join(this.work, 'files');
    const started = performance.now();
    const set = writeSmallMix(dir, files, Math.round(500e6 * this.config.scale), 40);
    log(`generated ${set.files.length} files, ${mb(set.bytes)}, in ${s(performance.now() - started)}`);
    await warm([dir]);
    const label = `${count(files)} small files (${mb(set.bytes)})`;
    const bases = await this.firstBackups(`${label}, first backup`, dir, 'small', { verify: true, keep: true });
    if (this.config.items.has('restore')) await this.restores(label, set, bases);
    if (this.config.items.has('incremental')) await this.incrementals(label, set, bases);
    for (const peer of this.peers) for (const dest of bases.get(peer.name)!) rm(...peer.leftovers(dest));
    rm(dir, ...bases.get('lifeboat')!.map((f) => path.dirname(f)));
  }

  private async incrementals(label: string, set: GeneratedSet, bases: Map<Tool, string[]>): Promise<void> {
    const marker = path.join(this.work, 'changed-after');
    fs.writeFileSync(marker, '');
    // a clear gap between the marker's mtime and the changes, whatever the file system's granularity
    await new Promise((resolve) => setTimeout(resolve, 50));
    const changed = changeSomeFiles(set, 0.01, 41);
    log(`changed ${changed.length} files`);
    await warm([set.root]);
    const contenders: Contender[] = [
      {
        tool: 'lifeboat',
        input: (round) => [set.root, bases.get('lifeboat')![round]!],
        prepare: async (round) => {
          rm(this.out('incr', 'lifeboat', String(round)));
          fs.mkdirSync(this.out('incr', 'lifeboat', String(round)));
        },
        measure: (round) => this.lifeboat(['backup', set.root, this.out('incr', 'lifeboat', String(round)), '--base', bases.get('lifeboat')![round]!]),
        after: (round) => rm(this.out('incr', 'lifeboat', String(round))),
      },
      ...this.peers.map(
        (peer): Contender => ({
          tool: peer.name,
          // the repository, its cache and state: what the tool reads to find the unchanged files
          input: (round) => [set.root, ...peer.leftovers(bases.get(peer.name)![round]!)],
          measure: async (round) => ({ ms: await peer.incremental(bases.get(peer.name)![round]!, set.root, marker) }),
        }),
      ),
    ];
    await this.timeRounds(`${label}, 1 % changed (${changed.length}), next backup`, contenders);
  }

  /** Restores of one file and of the whole tree from the last round's first backups, each checked against the source. */
  private async restores(label: string, set: GeneratedSet, bases: Map<Tool, string[]>): Promise<void> {
    const last = this.config.rounds - 1;
    // a mid-sized text file three folders down: the typical "get that one file back"
    const probe = set.files.find((f) => f.rel.split('/').length === 4 && f.size > 20_000 && /\.(txt|md|csv|json)$/.test(f.rel)) ?? set.files[0]!;
    const probeSha = sha256File(path.join(set.root, probe.rel));
    const sampleFiles = set.files.filter((_, i) => i % Math.max(1, Math.floor(set.files.length / 50)) === 0);
    const sampleShas = new Map(sampleFiles.map((f) => [f.rel, sha256File(path.join(set.root, f.rel))]));
    log(`restore probe: ${probe.rel} (${probe.size} bytes)`);

    const checkOne = (tool: Tool, restored: string) => {
      const file = path.join(restored, probe.rel);
      if (!fs.existsSync(file)) throw new Error(`${TOOL_LABEL[tool]}: restore of one file: ${file} is missing`);
      if (sha256File(file) !== probeSha) throw new Error(`${TOOL_LABEL[tool]}: restore of one file: ${file} differs from the source`);
      const tree = countTree(restored);
      if (tree.count !== 1) throw new Error(`${TOOL_LABEL[tool]}: restore of one file wrote ${tree.count} files`);
    };
    const checkWhole = (tool: Tool, restored: string) => {
      const tree = countTree(restored);
      if (tree.count !== set.files.length || tree.bytes !== set.bytes) {
        throw new Error(`${TOOL_LABEL[tool]}: whole restore has ${tree.count} files, ${tree.bytes} bytes; the source ${set.files.length}, ${set.bytes}`);
      }
      for (const [rel, sha] of sampleShas) {
        if (sha256File(path.join(restored, rel)) !== sha) throw new Error(`${TOOL_LABEL[tool]}: whole restore: ${rel} differs from the source`);
      }
    };

    for (const [what, rel, check] of [
      ['one file', probe.rel, checkOne],
      ['whole tree', null, checkWhole],
    ] as const) {
      const target = (tool: Tool, round: number) => path.join(this.work, 'restore', `${tool}-${round}`);
      const contenders: Contender[] = [
        {
          tool: 'lifeboat',
          input: () => [bases.get('lifeboat')![last]!],
          prepare: async (round) => rm(target('lifeboat', round)),
          measure: (round) => this.lifeboat(['restore', bases.get('lifeboat')![last]!, target('lifeboat', round), ...(rel ? ['--paths', rel] : [])]),
          after: (round) => {
            check('lifeboat', target('lifeboat', round));
            rm(target('lifeboat', round));
          },
        },
        ...this.peers.map(
          (peer): Contender => ({
            tool: peer.name,
            input: () => peer.leftovers(bases.get(peer.name)![last]!),
            prepare: async (round) => rm(target(peer.name, round)),
            measure: async (round) => ({ ms: await peer.restore(bases.get(peer.name)![last]!, set.root, target(peer.name, round), rel) }),
            after: (round) => {
              check(peer.name, peer.restoredRoot(target(peer.name, round), set.root));
              rm(target(peer.name, round));
            },
          }),
        ),
      ];
      await this.timeRounds(`restore ${what} out of the ${label}`, contenders);
    }
  }

  /** `n` tiny files, first backup by every tool: the per-file cost. Returns the row. */
  async tiny(n: number): Promise<Row> {
    const dir = path.join(this.work, `tiny-${n}`);
    const started = performance.now();
    writeTinyFiles(dir, n);
    log(`generated ${n} tiny files in ${s(performance.now() - started)}`);
    await warm([dir]);
    await this.firstBackups(`${count(n)} tiny files, first backup`, dir, `tiny${n}`);
    rm(dir);
    return this.rows.at(-1)!;
  }

  /**
   * The scale step: Lifeboat alone on `scaleFiles` tiny files (the peers are not the question
   * here; memory that grows with the file count is). Records its time and peak RSS.
   */
  async scaleStep(): Promise<void> {
    const n = this.config.scaleFiles;
    const dir = path.join(this.work, `scale-${n}`);
    const started = performance.now();
    writeTinyFiles(dir, n);
    log(`generated ${n} tiny files in ${s(performance.now() - started)}`);
    await warm([dir]);
    const dest = this.out('scale', 'lifeboat');
    fs.mkdirSync(dest, { recursive: true });
    await settle();
    const restored = path.join(this.work, `scale-restore-${n}`);
    try {
      let filePath: string | undefined;
      try {
        // verified after it, as a plan's run does by default: verify's memory must not grow with the files either
        const result = await this.lifeboat(['backup', dir, dest, '--verify'], this.config.scaleTimeoutMs);
        log(`scale step: ${n} tiny files | lifeboat: ${s(result.ms)} (peak RSS ${result.maxRssMB!.toFixed(0)} MB), verify ${s(result.verifyMs!)} (peak RSS ${result.verifyMaxRssMB!.toFixed(0)} MB)`);
        this.rows.push({ work: `${count(n)} tiny files, first backup (scale step)`, samples: new Map([['lifeboat', [result]]]) });
        this.facts.set('scaleRssMB', result.maxRssMB!);
        filePath = result.filePath;
      } catch (error) {
        // a timeout is a result (a MISS), not a broken benchmark
        log(`scale step: ${(error as Error).message}`);
        this.facts.set('scaleTimedOut', 1);
      }
      if (!filePath) return;
      // the same tree back: does a restore's memory grow with the number of files?
      rm(dir);
      await settle();
      try {
        const back = await this.lifeboat(['restore', filePath, restored], this.config.scaleTimeoutMs);
        const tree = countTree(restored);
        if (tree.count !== n) throw new Error(`the restore has ${tree.count} files, not ${n}`);
        log(`scale step: restore of ${n} tiny files | lifeboat: ${s(back.ms)} (peak RSS ${back.maxRssMB!.toFixed(0)} MB)`);
        this.rows.push({ work: `restore whole tree out of the ${count(n)} tiny files (scale step)`, samples: new Map([['lifeboat', [back]]]) });
        this.facts.set('scaleRestoreRssMB', back.maxRssMB!);
      } catch (error) {
        log(`scale step: restore: ${(error as Error).message}`);
        this.facts.set('scaleRestoreFailed', 1);
      }
    } finally {
      rm(dir, dest, restored);
    }
  }
}

const medianOf = (row: Row | undefined, tool: Tool, pick: (s: Sample) => number | undefined = (x) => x.ms) => {
  const values = (row?.samples.get(tool) ?? []).map(pick).filter((v): v is number => v !== undefined);
  return values.length ? median(values) : undefined;
};
const peakOf = (row: Row | undefined) => {
  const values = (row?.samples.get('lifeboat') ?? []).map((x) => x.maxRssMB).filter((v): v is number => v !== undefined);
  return values.length ? Math.max(...values) : undefined;
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

// the issue's order: the restores run before the files change (they are checked against the
// original tree) but read best after the backups they restore
const ROW_ORDER = [/incompressible/, /small files.*first backup/, /1 % changed/, /tiny files/, /^restore/];
const rank = (row: Row) => ROW_ORDER.findIndex((re) => re.test(row.work));

/** The results table: medians, Lifeboat's peak RSS, Lifeboat/peer ratios. */
function resultsTable(rows: Row[]): string {
  const peers: PeerName[] = ['restic', 'borg', 'tar'];
  const body = [...rows].sort((a, b) => rank(a) - rank(b)).map((row) => {
    const ours = medianOf(row, 'lifeboat');
    const withVerify = medianOf(row, 'lifeboat', (x) => (x.verifyMs === undefined ? undefined : x.ms + x.verifyMs));
    const peak = peakOf(row);
    return [
      row.work,
      ours === undefined ? '—' : `${s(ours)}${withVerify === undefined ? '' : ` (${s(withVerify)} w/ verify)`}`,
      peak === undefined ? '—' : `${peak.toFixed(0)} MB`,
      ...peers.map((p) => {
        const theirs = medianOf(row, p);
        return theirs === undefined ? '—' : s(theirs);
      }),
      ...peers.map((p) => {
        const theirs = medianOf(row, p);
        return ours === undefined || theirs === undefined ? '—' : (ours / theirs).toFixed(2);
      }),
    ];
  });
  return table(['work', 'lifeboat', 'peak RSS', 'restic', 'borg', 'tar+zstd+openssl', 'L/restic', 'L/borg', 'L/tar'], body);
}

/** Issue #14's targets, each PASS, MISS or n/a (not run). */
function targetsTable(bench: FolderBench, config: Config): string {
  const find = (prefix: string) => bench.rows.find((r) => r.work.includes(prefix));
  const big = find('incompressible');
  const first = bench.rows.find((r) => r.work.includes('small files') && r.work.endsWith('first backup'));
  const incr = find('1 % changed');
  const tiny = bench.rows.find((r) => r.work.startsWith(`${count(Math.round(100_000 * config.scale))} tiny`));
  const one = find('restore one file');
  const whole = bench.rows.find((r) => r.work.includes('restore whole tree') && !r.work.includes('scale step'));
  const ratio = (row: Row | undefined, peer: PeerName) => {
    const ours = medianOf(row, 'lifeboat');
    const theirs = medianOf(row, peer);
    return ours === undefined || theirs === undefined ? undefined : ours / theirs;
  };
  const verdict = (value: number | undefined, limit: number, shown: (v: number) => string): [string, string] =>
    value === undefined ? ['not run', 'n/a'] : [shown(value), value <= limit ? 'PASS' : 'MISS'];
  const times = (v: number) => `${v.toFixed(2)}x`;

  const tinyN = Math.round(100_000 * config.scale);
  const tinyRss = peakOf(tiny);
  const scaleRss = bench.facts.get('scaleRssMB');
  let flat: [string, string] = ['not run', 'n/a'];
  if (bench.facts.get('scaleTimedOut')) flat = [`timed out after ${config.scaleTimeoutMs / 1000} s`, 'MISS'];
  else if (scaleRss !== undefined && tinyRss !== undefined && config.scaleFiles > tinyN) {
    const slope = ((scaleRss - tinyRss) * 1024) / ((config.scaleFiles - tinyN) / 1000);
    flat = [
      `${tinyRss.toFixed(0)} MB at ${count(tinyN)} -> ${scaleRss.toFixed(0)} MB at ${count(config.scaleFiles)}; slope ${slope.toFixed(1)} KB per 1000 files`,
      scaleRss <= 150 && slope <= 10 ? 'PASS' : 'MISS',
    ];
  }
  // a whole-tree restore: its peak RSS for the 40k tree against the scale step's tree
  const wholeRss = peakOf(whole);
  const wholeN = Math.round(40_000 * config.scale);
  const scaleRestoreRss = bench.facts.get('scaleRestoreRssMB');
  let restoreFlat: [string, string] = ['not run', 'n/a'];
  if (bench.facts.get('scaleRestoreFailed')) restoreFlat = ['failed (see the log)', 'MISS'];
  else if (scaleRestoreRss !== undefined && wholeRss !== undefined && config.scaleFiles > wholeN) {
    const slope = ((scaleRestoreRss - wholeRss) * 1024) / ((config.scaleFiles - wholeN) / 1000);
    restoreFlat = [
      `${wholeRss.toFixed(0)} MB at ${count(wholeN)} -> ${scaleRestoreRss.toFixed(0)} MB at ${count(config.scaleFiles)}; slope ${slope.toFixed(1)} KB per 1000 files`,
      slope <= 10 ? 'PASS' : 'MISS',
    ];
  }
  const rows: [string, ...[string, string]][] = [
    ['5 x 400 MB first backup <= 1.0x borg', ...verdict(ratio(big, 'borg'), 1, times)],
    ['40k first backup <= 1.0x restic', ...verdict(ratio(first, 'restic'), 1, times)],
    ['incremental after 1 % change <= 1.0x restic', ...verdict(ratio(incr, 'restic'), 1, times)],
    ['100k tiny files <= 10 s', ...verdict(medianOf(tiny, 'lifeboat'), 10_000, s)],
    ['100k tiny files peak RSS <= 150 MB', ...verdict(tinyRss, 150, (v) => `${v.toFixed(0)} MB`)],
    ['RSS flat to 1M files (<= 150 MB, slope <= 10 KB/1000 files)', ...flat],
    ['restore one file <= 1.0 s', ...verdict(medianOf(one, 'lifeboat'), 1000, s)],
    ['restore whole tree <= 1.0x restic', ...verdict(ratio(whole, 'restic'), 1, times)],
    ['whole-tree restore memory bounded (slope <= 10 KB/1000 files)', ...restoreFlat],
  ];
  return table(['target (issue #14)', 'measured', 'result'], rows);
}

/** Runs the folder section and prints its two tables (results, targets) to stdout. */
export async function runFolderSection(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = readConfig(env);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-folders-'));
  const bundleDir = path.join(root, 'out', 'bench');
  const started = performance.now();
  // other work on the machine only ever adds time: the load is printed with the results
  const loadBefore = os.loadavg()[0]!;
  let bench: FolderBench;
  try {
    bench = new FolderBench(work, config, await childCommand(bundleDir));
    log(`work dir ${work}; rounds ${config.rounds}; scale ${config.scale}; items ${[...config.items].join(',')}`);
    if (config.items.has('big')) await bench.big();
    if (config.items.has('small')) await bench.small();
    if (config.items.has('tiny')) await bench.tiny(Math.round(100_000 * config.scale));
    if (config.items.has('few')) for (const n of [10_000, 1_000]) await bench.tiny(n);
    if (config.items.has('scale')) await bench.scaleStep();
  } finally {
    rm(work, bundleDir);
  }
  const load = `load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end`;
  console.log(`\nfolders (${os.cpus().length} cores, ${load}; medians of ${config.rounds} round(s); total ${s(performance.now() - started)})`);
  console.log(resultsTable(bench.rows));
  console.log('ratios: Lifeboat median / peer median (<= 1.0 means Lifeboat is faster); peak RSS is Lifeboat\'s highest round.');
  console.log('All encrypted: Lifeboat AES-256-GCM (level BENCH_LEVEL, default 1), restic repo v2 (auto compression), borg repokey');
  console.log('zstd,3, tar | zstd -3 -T0 | openssl aes-256-ctr (its output not fsynced). Lifeboat is timed inside its process; the');
  console.log("peers' times include their process start-up. The incremental of tar is a tar of the files find -newer names.\n");
  console.log(targetsTable(bench, config));
  if (config.scale !== 1) console.log(`(data sets scaled by BENCH_FOLDER_SCALE=${config.scale}: the absolute targets are set for the full sets)`);
}
