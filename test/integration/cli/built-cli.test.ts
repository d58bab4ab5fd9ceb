/*
 * The compiled CLI: out/cli/lifeboat.mjs (built by `npm install`/`npm ci` through the `prepare`
 * script, or `npm run build:cli`) runs with plain node, needing neither tsx nor any
 * devDependency; scripts/build-cli.mjs builds a working bundle; bin/lifeboat.mjs picks the bundle
 * while it is current and the sources otherwise.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const bundle = path.join(repo, 'out/cli/lifeboat.mjs');
const run = promisify(execFile);
const cleanup: string[] = [];

afterAll(() => {
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
});

/** The environment of a plain `node` start: no NODE_OPTIONS (no --import tsx), no loader. */
function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  return env;
}

/** Every module a bundle imports, static or dynamic. */
function importsOf(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gm)) found.add(m[1]!);
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) found.add(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.add(m[1]!);
  return [...found];
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

describe('the built CLI (out/cli/lifeboat.mjs)', () => {
  it('exists after the build and prints the version with plain node', async () => {
    expect(fs.existsSync(bundle), `${bundle} is missing: npm install (prepare) or npm run build:cli builds it`).toBe(true);
    const { stdout } = await run(process.execPath, [bundle, '--version'], { env: plainEnv() });
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('imports only Node built-ins and runtime dependencies: no tsx, no devDependency', () => {
    const code = fs.readFileSync(bundle, 'utf8');
    const imports = importsOf(code);
    expect(imports.length).toBeGreaterThan(5);
    const builtins = new Set(builtinModules);
    const runtime = new Set(Object.keys(pkg.dependencies));
    const unexpected = imports.filter((s) => !s.startsWith('node:') && !builtins.has(s) && !runtime.has(packageName(s)));
    expect(unexpected).toEqual([]);
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(code).not.toMatch(/from ["']tsx/);
  });

  it('package.json: `lifeboat` is bin/lifeboat.mjs, and `prepare` builds the CLI on install', () => {
    expect(pkg.bin.lifeboat).toBe('./bin/lifeboat.mjs');
    expect(pkg.scripts.prepare).toContain('scripts/build-cli.mjs');
    expect(pkg.devDependencies.tsx).toBeDefined();
    expect(pkg.devDependencies.esbuild).toBeDefined();
  });
});

describe('scripts/build-cli.mjs', () => {
  it('builds a bundle that runs and lists the sources it was made from', async () => {
    // inside the repository, so that the bundle finds node_modules as out/cli does
    const outdir = fs.mkdtempSync(path.join(repo, 'out', '.cli-build-test-'));
    cleanup.push(outdir);
    const { stdout } = await run(process.execPath, [path.join(repo, 'scripts/build-cli.mjs'), '--outdir', outdir], { env: plainEnv() });
    expect(stdout).toMatch(/build-cli: .*lifeboat\.mjs \(\d+ KiB, \d+ sources\)/);
    const inputs = JSON.parse(fs.readFileSync(path.join(outdir, 'lifeboat.inputs.json'), 'utf8'));
    expect(inputs.version).toBe(pkg.version);
    expect(inputs.inputs).toEqual(expect.arrayContaining(['package.json', 'src/main/cli/main.ts', 'src/main/cli/index.ts', 'src/main/cli/service.ts']));
    const version = await run(process.execPath, [path.join(outdir, 'lifeboat.mjs'), '--version'], { env: plainEnv() });
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = await run(process.execPath, [path.join(outdir, 'lifeboat.mjs'), 'service', '--help'], { env: plainEnv() });
    expect(help.stdout).toMatch(/install/);
  });
});

/*
 * bin/lifeboat.mjs in a miniature checkout: bin/, out/cli/ with a bundle that says "bundle", and
 * src/main/cli/main.ts that says "source".
 */
describe('bin/lifeboat.mjs: the bundle while it is current, the sources otherwise', () => {
  function miniature(parent: string, { withBundle = true }: { withBundle?: boolean } = {}): { root: string; source: string } {
    const root = fs.mkdtempSync(path.join(parent, '.bin-entry-test-'));
    cleanup.push(root);
    fs.mkdirSync(path.join(root, 'bin'));
    fs.copyFileSync(path.join(repo, 'bin/lifeboat.mjs'), path.join(root, 'bin/lifeboat.mjs'));
    const source = path.join(root, 'src/main/cli/main.ts');
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, "const from: string = 'source';\nconsole.log(from);\n");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(source, old, old);
    if (withBundle) {
      fs.mkdirSync(path.join(root, 'out/cli'), { recursive: true });
      fs.writeFileSync(path.join(root, 'out/cli/lifeboat.mjs'), "console.log('bundle');\n");
      fs.writeFileSync(path.join(root, 'out/cli/lifeboat.inputs.json'), JSON.stringify({ inputs: ['src/main/cli/main.ts'] }));
    }
    return { root, source };
  }
  const entry = (root: string) => run(process.execPath, [path.join(root, 'bin/lifeboat.mjs')], { env: plainEnv() });

  it('runs the bundle when no source is newer', async () => {
    const { root } = miniature(path.join(repo, 'out'));
    expect((await entry(root)).stdout.trim()).toBe('bundle');
  });

  it('runs the sources through tsx when a source changed after the build', async () => {
    const { root, source } = miniature(path.join(repo, 'out'));
    const now = new Date(Date.now() + 5_000);
    fs.utimesSync(source, now, now);
    expect((await entry(root)).stdout.trim()).toBe('source');
  });

  it('without tsx (no devDependencies) runs the bundle even when it is older', async () => {
    const { root, source } = miniature(os.tmpdir());
    const now = new Date(Date.now() + 5_000);
    fs.utimesSync(source, now, now);
    expect((await entry(root)).stdout.trim()).toBe('bundle');
  });

  it('with neither, fails with the command that builds it', async () => {
    const { root } = miniature(os.tmpdir(), { withBundle: false });
    await expect(entry(root)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('npm run build:cli') });
  });
});
