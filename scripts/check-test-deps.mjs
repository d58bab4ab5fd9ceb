#!/usr/bin/env node
/**
 * Preflight of `npm test`: checks that this machine has what the suites need (Node >= 20.15, the
 * PostgreSQL server and client tools, Chromium, zstd, OpenSSH's sshd) before any of them starts, so a fresh machine gets
 * one message listing everything missing with the install commands, instead of a pile of cluster
 * errors or one browser-launch error per e2e test.
 *
 *   node scripts/check-test-deps.mjs                  everything (npm test)
 *   node scripts/check-test-deps.mjs --need pg,sshd   the integration suite (zstd: the unit suite)
 *   node scripts/check-test-deps.mjs --need pg,chromium
 *
 * Honours LIFEBOAT_CHROMIUM, LIFEBOAT_TEST_PG_BIN and LIFEBOAT_PG_BIN with the same rules as the
 * tests (shared in test/support/test-deps.mjs). Silent and exit 0 when all is there; exit 1 with
 * the message on stderr when not; exit 2 on a bad argument.
 */
import { exitIfTestDepsMissing, NEEDS } from '../test/support/test-deps.mjs';

function parseNeeds(argv) {
  const needs = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value;
    if (arg === '--need') value = argv[++i];
    else if (arg.startsWith('--need=')) value = arg.slice('--need='.length);
    else throw new Error(`unknown argument ${arg}`);
    for (const need of (value ?? '').split(',')) {
      if (!NEEDS.includes(need)) throw new Error(`--need takes ${NEEDS.join(', ')} (comma-separated), not "${need}"`);
      needs.push(need);
    }
  }
  return needs.length > 0 ? needs : NEEDS;
}

let needs;
try {
  needs = parseNeeds(process.argv.slice(2));
} catch (error) {
  console.error(`check-test-deps: ${error.message}`);
  process.exit(2);
}

exitIfTestDepsMissing(needs);
