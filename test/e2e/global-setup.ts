/**
 * Playwright global setup: one message naming every missing prerequisite (Chromium, and the
 * PostgreSQL tools the backup and restore specs use) before any test launches the browser,
 * instead of one launch error per test.
 */
import { exitIfTestDepsMissing } from '../support/test-deps.mjs';

export default function globalSetup(): void {
  exitIfTestDepsMissing(['pg', 'chromium', 'sshd']);
}
