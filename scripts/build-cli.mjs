#!/usr/bin/env node
/**
 * Builds the `lifeboat` command: src/main/cli/main.ts and everything of ours it imports, bundled
 * by esbuild into one ESM file for Node 20.15+, out/cli/lifeboat.mjs. Every npm package stays an
 * import (`packages: 'external'`): better-sqlite3 and @node-rs/argon2 are native, and the rest
 * are the same copies the app loads from node_modules (or from app.asar once packaged).
 *
 *   node scripts/build-cli.mjs                 out/cli/lifeboat.mjs (npm's `prepare` runs this)
 *   node scripts/build-cli.mjs --outdir DIR    elsewhere (the build test)
 *
 * Next to the bundle it writes lifeboat.inputs.json, the source files that went into it:
 * bin/lifeboat.mjs runs the bundle only while none of them is newer (a development checkout runs
 * the sources through tsx otherwise), so an edit is never hidden behind an old build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseOutdir(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outdir' && argv[i + 1]) return path.resolve(argv[i + 1]);
    if (argv[i].startsWith('--outdir=')) return path.resolve(argv[i].slice('--outdir='.length));
    console.error(`build-cli: unknown argument ${argv[i]} (takes --outdir DIR)`);
    process.exit(2);
  }
  return path.join(root, 'out', 'cli');
}

const outdir = parseOutdir(process.argv.slice(2));
const outfile = path.join(outdir, 'lifeboat.mjs');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // an install without devDependencies (npm ci --omit=dev) cannot build; it must not fail for that
  console.warn(`build-cli: esbuild is not installed (devDependencies omitted?); ${path.relative(root, outfile)} was not built. Run \`npm install\`, then \`npm run build:cli\`.`);
  process.exit(0);
}

const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const started = Date.now();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/main/cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.15',
  packages: 'external',
  define: { __LIFEBOAT_VERSION__: JSON.stringify(version) },
  banner: { js: '// The `lifeboat` command, built by scripts/build-cli.mjs from src/main/cli/main.ts: do not edit.' },
  // readable stack traces in bug reports; the bundle is small either way
  minify: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const inputs = Object.keys(result.metafile.inputs).sort();
fs.writeFileSync(path.join(outdir, 'lifeboat.inputs.json'), `${JSON.stringify({ version, inputs: ['package.json', ...inputs] }, null, 2)}\n`);
const size = fs.statSync(outfile).size;
console.log(`build-cli: ${path.relative(root, outfile) || outfile} (${(size / 1024).toFixed(0)} KiB, ${inputs.length} sources) in ${Date.now() - started} ms`);
