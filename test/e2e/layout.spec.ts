/**
 * Tables that fit and health first (issue 18), against realistic data: six plans with long names
 * and paths, one failing every night, a job stuck behind a lock, failed and passed drills and
 * verifications, a failed restore. At 1280x800 and 900x650: no table box overflows sideways, no
 * row is taller than ~3 lines, the failing plan's banner is visible without scrolling. Screenshots
 * of each screen in light and dark go to test-results/screens/.
 */
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { EMPTY_PROGRESS, type JobSummary } from '../../src/shared/job';
import { expect, test, type TestCore } from './support/fixtures';
import { SCREENS, openScreen } from './support/screens';
import { seedJob, seedRealistic } from './support/seed';

const SIZES = [
  { width: 1280, height: 800 },
  { width: 900, height: 650 },
];

function seedChecks(core: TestCore): JobSummary {
  const { failing } = seedRealistic(core);
  const backups = core.jobs.list({ kind: 'backup', statuses: ['success'] }, 1, 3).items;
  const now = Date.now();
  backups.forEach((backup, i) => {
    const failed = i === 0;
    const jobId = seedJob(core, {
      kind: i === 2 ? 'verify' : 'drill',
      plan: { id: '', name: backup.planName! },
      status: failed ? 'failed' : 'success',
      filePath: backup.filePath,
      startedAt: new Date(now - (i + 1) * 3_600_000),
      displayMessage: failed
        ? 'Restore drill failed: table public.invoice_line_items_with_a_very_long_descriptive_name has 1 203 rows in the drill but 1 204 in the manifest'
        : 'Proven restorable: row counts, owners and privileges match.',
    });
    core.verifications.record({
      id: randomUUID(),
      jobId,
      backupJobId: backup.id,
      filePath: backup.filePath!,
      status: failed ? 'failed' : 'passed',
      drill: i !== 2,
      reasons: failed ? ['table public.invoice_line_items_with_a_very_long_descriptive_name has 1 203 rows in the drill but 1 204 in the manifest'] : [],
      createdAt: new Date(now - (i + 1) * 3_600_000).toISOString(),
    });
  });
  seedJob(core, {
    kind: 'restore',
    plan: { id: '', name: failing.name },
    status: 'failed',
    startedAt: new Date(now - 30 * 60_000),
    errorCode: 'PG_DATABASE_MISSING',
    displayMessage: 'The database does not exist on the server. Check the database name in the restore form. ("shop_restore_test" on localhost:5432)',
  });
  // a backup held behind a lock for 12 minutes
  const stuckId = randomUUID();
  const startedAt = new Date(now - 14 * 60_000).toISOString();
  core.jobs.create({ id: stuckId, kind: 'backup', planId: failing.id, planName: failing.name, trigger: 'scheduled', startedAt, status: 'running' });
  const stuck = core.jobs.get(stuckId)!;
  return {
    ...stuck,
    progress: { ...EMPTY_PROGRESS, phase: 'dump', percent: 5, currentItem: 'shop_production_orders_and_invoices' },
    stall: {
      since: new Date(now - 12 * 60_000).toISOString(),
      waitingOn: 'a lock on table public.orders, held by process 4242 (psql, user ann, idle in transaction for 13 min) (pg_dump)',
    },
  };
}

async function checkTablesFit(page: Page, where: string): Promise<void> {
  const report = await page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ scrollWidth: number; clientWidth: number; className: string; getBoundingClientRect(): { height: number }; querySelectorAll(s: string): ArrayLike<{ getBoundingClientRect(): { height: number }; className: string }> }> } }).document;
    const wraps = Array.from(doc.querySelectorAll('.table-wrap, .table-scroll'));
    return wraps.map((w) => ({
      cls: w.className,
      scrollWidth: w.scrollWidth,
      clientWidth: w.clientWidth,
      rowHeights: Array.from(w.querySelectorAll('tbody tr'))
        .filter((r) => !r.className.includes('virtual-spacer'))
        .map((r) => r.getBoundingClientRect().height),
    }));
  });
  expect(report.length, `${where}: tables on the screen`).toBeGreaterThan(0);
  for (const table of report) {
    expect(table.scrollWidth, `${where}: ${table.cls} overflows sideways`).toBeLessThanOrEqual(table.clientWidth + 1);
    // ~3 lines of 14-16 px text plus padding
    for (const h of table.rowHeights) expect(h, `${where}: a row of ${table.cls} is too tall`).toBeLessThanOrEqual(84);
  }
}

/**
 * Inside every visible cell of every table: nothing sticks out of the cell. A cell (or a `.trunc`
 * in it) that cuts its text with an ellipsis may hold more text than it shows; anything else that
 * is wider than its box overflows. Buttons, badges, links and inputs must fit inside their cell
 * whole (a clipped button is still broken). Each table also fills its wrapper, and a Message
 * column keeps a readable width.
 */
async function checkCellsFit(page: Page, where: string): Promise<void> {
  const problems = await page.evaluate(() => {
    type El = {
      tagName: string;
      className: string;
      textContent: string | null;
      scrollWidth: number;
      clientWidth: number;
      children: ArrayLike<El>;
      closest(s: string): El | null;
      querySelectorAll(s: string): ArrayLike<El>;
      getBoundingClientRect(): { left: number; right: number; width: number; height: number };
    };
    const win = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<El> };
      getComputedStyle(e: El): { display: string; overflowX: string; textOverflow: string; paddingLeft: string; paddingRight: string; visibility: string };
    };
    const out: string[] = [];
    const label = (e: El) => `${e.tagName.toLowerCase()}.${String(e.className).replace(/\s+/g, '.')} "${(e.textContent ?? '').trim().slice(0, 40)}"`;
    const truncates = (e: El) => {
      const s = win.getComputedStyle(e);
      return s.textOverflow === 'ellipsis' && s.overflowX !== 'visible';
    };
    const atomic = 'button, a.button, .badge, input, select, textarea, img, svg, progress, [role="button"]';
    for (const table of Array.from(win.document.querySelectorAll('main table'))) {
      const rect = table.getBoundingClientRect();
      if (rect.width === 0) continue;
      const name = (table as unknown as { getAttribute(n: string): string | null }).getAttribute('aria-label') ?? table.className;
      const wrap = table.closest('.table-wrap, .table-scroll');
      if (wrap && table.className.includes('table-fixed')) {
        // a fixed table fills its wrapper (minus the wrapper's border), and its visible columns fill
        // the table: no empty column is left where hidden ones were
        if (rect.width < wrap.clientWidth - 2) out.push(`table "${name}" is ${Math.round(rect.width)} px wide in a ${wrap.clientWidth} px wrapper`);
        const heads = Array.from(table.querySelectorAll('thead th')).filter((th) => win.getComputedStyle(th).display !== 'none');
        const end = Math.max(...heads.map((th) => th.getBoundingClientRect().right));
        if (end < rect.right - 2) out.push(`table "${name}": its columns end at ${Math.round(end)}, the table at ${Math.round(rect.right)}`);
      }
      for (const cell of Array.from(table.querySelectorAll('th, td'))) {
        const cs = win.getComputedStyle(cell);
        if (cs.display === 'none' || cell.closest('.virtual-spacer')) continue;
        const cr = cell.getBoundingClientRect();
        if (cr.width === 0) continue;
        if (String(cell.className).includes('cell-message') && cell.tagName === 'TH' && cr.width < 160) {
          out.push(`table "${name}": the Message column is ${Math.round(cr.width)} px wide`);
        }
        if (cell.scrollWidth > cell.clientWidth + 1 && !truncates(cell)) {
          out.push(`table "${name}": ${label(cell)} overflows (${cell.scrollWidth} > ${cell.clientWidth})`);
        }
        const left = cr.left + parseFloat(cs.paddingLeft) - 1;
        const right = cr.right - parseFloat(cs.paddingRight) + 1;
        const flagged: El[] = [];
        for (const inner of Array.from(cell.querySelectorAll('*'))) {
          const is = win.getComputedStyle(inner);
          if (is.display === 'none' || (is.display === 'inline' && !inner.closest(atomic))) continue;
          // text for screen readers only is clipped on purpose; what is inside a box already named is not news
          if (inner.closest('.visually-hidden') || flagged.some((f) => (f as unknown as { contains(e: El): boolean }).contains(inner))) continue;
          const ir = inner.getBoundingClientRect();
          if (ir.width === 0 || ir.height === 0) continue;
          const isAtomic = Boolean((inner as unknown as { matches(s: string): boolean }).matches(atomic));
          // boxes must sit inside the cell; a truncating one may hold more text than it shows
          if (ir.left < left || ir.right > right) {
            flagged.push(inner);
            out.push(`table "${name}": ${label(inner)} sticks out of its cell (${Math.round(ir.left)}-${Math.round(ir.right)} in ${Math.round(left)}-${Math.round(right)})`);
          } else if (inner.scrollWidth > inner.clientWidth + 1 && !truncates(inner) && (isAtomic || is.overflowX !== 'visible')) {
            out.push(`table "${name}": ${label(inner)} overflows itself (${inner.scrollWidth} > ${inner.clientWidth})`);
          }
        }
      }
    }
    return [...new Set(out)];
  });
  expect.soft(problems, `${where}: cells whose content does not fit`).toEqual([]);
}

for (const size of SIZES) {
  test(`screens fit at ${size.width}x${size.height}, health first`, async ({ page, core }) => {
    const stuck = seedChecks(core);
    await page.setViewportSize(size);
    await page.goto('/#/dashboard');
    const banner = page.getByRole('alert', { name: 'Backup health' });
    await expect(banner).toContainText('1 plan failing since');
    // the stall as the watcher pushes it
    core.events.emit('jobs/updated', stuck);
    await expect(banner).toContainText('Shop DB nightly');
    await expect(banner.locator('.health-line').getByRole('link', { name: 'Open job' })).toBeVisible();
    await expect(banner.locator('.health-line').getByRole('link', { name: 'Edit plan' })).toBeVisible();
    await expect(banner).toContainText('has made no progress for 12 min');
    await expect(banner).toBeInViewport();
    // the sidebar says the same
    await expect(page.getByRole('img', { name: 'failing' })).toBeVisible();
    // failures are labelled by kind: the restore is not the plan's backup
    const failures = page.locator('.failure-list');
    await expect(failures).toContainText('Restore failed');
    await expect(failures).toContainText('Drill failed');
    await expect(failures).toContainText('Backup failed');
    await checkTablesFit(page, 'dashboard');
    await checkCellsFit(page, 'dashboard');

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto('/#/dashboard');
      await expect(page.getByRole('alert', { name: 'Backup health' })).toBeVisible();
      await page.screenshot({ path: `test-results/screens/dashboard-${size.width}x${size.height}-${scheme}.png` });
      // below the fold: the last result per plan
      await page
        .locator('.table-wrap', { has: page.getByRole('table', { name: 'Last result per plan' }) })
        .screenshot({ path: `test-results/screens/dashboard-plans-${size.width}x${size.height}-${scheme}.png` });

      await page.goto('/#/history');
      await expect(page.getByRole('table', { name: 'Jobs' })).toBeVisible();
      // the watcher's next push: a stalled job says so in its row, in one line
      core.events.emit('jobs/updated', stuck);
      await expect(page.getByRole('table', { name: 'Jobs' })).toContainText('stalled, no progress for 12 min');
      await checkTablesFit(page, 'history');
      await checkCellsFit(page, 'history');
      await page.screenshot({ path: `test-results/screens/history-${size.width}x${size.height}-${scheme}.png` });

      await page.goto('/#/verify');
      await expect(page.getByRole('table', { name: 'Backups' })).toBeVisible();
      await expect(page.getByRole('table', { name: 'Verification results' })).toBeVisible();
      await checkTablesFit(page, 'verify');
      await checkCellsFit(page, 'verify');
      await page.screenshot({ path: `test-results/screens/verify-${size.width}x${size.height}-${scheme}.png`, fullPage: true });

      await page.goto('/#/restore');
      await expect(page.getByRole('table', { name: 'Backups' })).toBeVisible();
      await checkTablesFit(page, 'restore');
      await checkCellsFit(page, 'restore');
      await page.screenshot({ path: `test-results/screens/restore-${size.width}x${size.height}-${scheme}.png` });
    }
  });
}

test('a failed backup offers Retry, Edit plan and Copy details', async ({ page, core }) => {
  const { failing } = seedRealistic(core);
  const failed = core.jobs.list({ planId: failing.id, status: 'failed' }, 1, 1).items[0]!;
  await page.goto(`/#/history?job=${failed.id}`);
  const panel = page.getByRole('complementary', { name: 'Job details' });
  await expect(panel.getByRole('button', { name: 'Retry (run the plan now)' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Copy details' })).toBeVisible();
  await panel.getByRole('link', { name: 'Edit plan' }).click();
  await expect(page.getByRole('textbox', { name: /name/i }).first()).toHaveValue(failing.name);
});

/**
 * Reflow at 200 % zoom (WCAG 1.4.10): a 1280x800 window at 200 % is a 640x400 CSS px viewport at
 * device scale 2. On every screen nothing scrolls sideways (the page and the content pane), each
 * table stays inside its wrapper and no box sticks out past the content pane's right edge.
 */
async function checkReflow(page: Page, where: string): Promise<void> {
  const report = await page.evaluate(() => {
    type El = {
      scrollWidth: number;
      clientWidth: number;
      className: string;
      tagName: string;
      textContent: string | null;
      closest(s: string): El | null;
      getBoundingClientRect(): { left: number; right: number; width: number; height: number };
    };
    const win = globalThis as unknown as {
      document: { documentElement: El; getElementById(id: string): El | null; querySelectorAll(s: string): ArrayLike<El> };
      getComputedStyle(e: El): { display: string; visibility: string; position: string };
    };
    const doc = win.document;
    const main = doc.getElementById('main')!;
    const mainRight = main.getBoundingClientRect().left + main.clientWidth;
    const out: string[] = [];
    const root = doc.documentElement;
    if (root.scrollWidth > root.clientWidth) out.push(`the page scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`);
    if (main.scrollWidth > main.clientWidth + 1) out.push(`the content pane scrolls sideways (${main.scrollWidth} > ${main.clientWidth})`);
    for (const wrap of Array.from(doc.querySelectorAll('.table-wrap, .table-scroll'))) {
      if (wrap.getBoundingClientRect().width === 0) continue;
      if (wrap.scrollWidth > wrap.clientWidth + 1) out.push(`${wrap.className} overflows its wrapper (${wrap.scrollWidth} > ${wrap.clientWidth})`);
    }
    // the reason stays readable: a Message column keeps about a quarter of a narrow table
    for (const th of Array.from(doc.querySelectorAll('#main th.cell-message'))) {
      const width = th.getBoundingClientRect().width;
      if (width > 0 && width < 140) out.push(`a Message column is ${Math.round(width)} px wide`);
    }
    for (const el of Array.from(doc.querySelectorAll('#main *'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest('.visually-hidden, .table-wrap, .table-scroll')) continue;
      if (r.right > mainRight + 1) out.push(`${el.tagName.toLowerCase()}.${String(el.className).replace(/\s+/g, '.')} "${(el.textContent ?? '').trim().slice(0, 30)}" ends at ${Math.round(r.right)}, past ${Math.round(mainRight)}`);
    }
    return [...new Set(out)].slice(0, 15);
  });
  expect.soft(report, `${where} at 200 %`).toEqual([]);
}

test.describe('at 200 % zoom', () => {
  test.use({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 });

  test('every screen reflows: nothing scrolls sideways, tables stay in their wrappers', async ({ page, core }) => {
    const { failing } = seedRealistic(core);
    const failed = core.jobs.list({ planId: failing.id, status: 'failed' }, 1, 1).items[0]!;
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [hash, heading] of SCREENS) {
        await openScreen(page, hash, heading);
        await page.waitForLoadState('networkidle');
        await checkReflow(page, hash);
        await page.screenshot({ path: `test-results/screens/zoom200-${hash}-${scheme}.png` });
      }
      // the job panel and the plan editor
      await page.goto(`/#/history?job=${failed.id}`);
      await expect(page.getByRole('complementary', { name: 'Job details' })).toContainText(failed.id);
      await checkReflow(page, 'job panel');
      await page.screenshot({ path: `test-results/screens/zoom200-job-panel-${scheme}.png` });
      await page.getByRole('complementary', { name: 'Job details' }).getByRole('link', { name: 'Edit plan' }).click();
      await expect(page.getByRole('heading', { level: 1, name: /^Edit/ })).toBeVisible();
      await expect(page.getByLabel('Host', { exact: true })).toBeFocused();
      await checkReflow(page, 'plan editor');
      await page.screenshot({ path: `test-results/screens/zoom200-plan-editor-${scheme}.png` });
    }
  });

  test('the collapsed sidebar: icons named by their labels, a tooltip on hover and focus, no axe violations', async ({ page, core }) => {
    seedRealistic(core);
    await page.goto('/#/history');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(page.getByRole('button', { name: 'Expand the sidebar' })).toBeVisible();
    for (const name of ['Dashboard', 'Plans', 'History', 'Verify', 'Restore', 'Settings']) {
      await expect(nav.getByRole('link', { name: new RegExp(`^${name}`) })).toBeVisible();
    }
    // no cut-off text: the label is hidden from sight, an icon shows
    await expect(nav.locator('.nav-label').first()).toHaveCSS('clip-path', 'inset(50%)');
    await expect(nav.locator('.nav-icon')).toHaveCount(6);
    // react-aria opens a tooltip on hover once the pointer is in use (a click), not on a mouse that merely passes by
    await page.getByRole('heading', { level: 1, name: 'History' }).click();
    await nav.getByRole('link', { name: 'Plans' }).hover();
    await expect(page.getByRole('tooltip')).toHaveText('Plans');
    await page.getByRole('heading', { level: 1, name: 'History' }).hover();
    await expect(page.getByRole('tooltip')).toHaveCount(0);
    // keyboard focus shows it too
    await nav.getByRole('link', { name: 'Plans' }).focus();
    await page.keyboard.press('Tab');
    await expect(nav.getByRole('link', { name: 'History' })).toBeFocused();
    await expect(page.getByRole('tooltip')).toHaveText('History');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: `test-results/screens/zoom200-sidebar-tooltip-${scheme}.png` });
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
      expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`), `collapsed sidebar (${scheme})`).toEqual([]);
    }
  });
});
