#!/usr/bin/env node
// The `lifeboat` CLI. It runs the built bundle, out/cli/lifeboat.mjs: plain JavaScript that
// needs no TypeScript tooling, built by `npm install` / `npm ci` (the `prepare` script) and by
// `npm run build:cli`. In a development checkout, when the bundle is missing or any source that
// went into it (listed in lifeboat.inputs.json) is newer, it runs the sources through tsx (a
// devDependency) instead, so an edit is never hidden behind an old build.
import fs from 'node:fs';

const bundle = new URL('../out/cli/lifeboat.mjs', import.meta.url);

/** The bundle, unless a source it was built from changed after it (or is gone). */
function bundleIsCurrent() {
  let builtAt;
  let inputs;
  try {
    builtAt = fs.statSync(bundle).mtimeMs;
    inputs = JSON.parse(fs.readFileSync(new URL('../out/cli/lifeboat.inputs.json', import.meta.url), 'utf8')).inputs;
  } catch {
    return false;
  }
  return inputs.every((input) => {
    try {
      return fs.statSync(new URL(`../${input}`, import.meta.url)).mtimeMs <= builtAt;
    } catch {
      return false;
    }
  });
}

/** tsx's loader, when this is a checkout with devDependencies; null otherwise. */
async function tsxLoader() {
  if (!fs.existsSync(new URL('../src/main/cli/main.ts', import.meta.url))) return null;
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

if (bundleIsCurrent()) {
  await import(bundle.href);
} else {
  const tsx = await tsxLoader();
  if (tsx) {
    tsx.register();
    await import('../src/main/cli/main.ts');
  } else if (fs.existsSync(bundle)) {
    // no tsx to run the sources with: the build is the best there is
    await import(bundle.href);
  } else {
    process.stderr.write('lifeboat: the CLI is not built (out/cli/lifeboat.mjs is missing). Run `npm install` or `npm run build:cli` in the project folder.\n');
    process.exitCode = 1;
  }
}
