import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/** Every screen of the sidebar: its route and its heading. */
export const SCREENS = [
  ['dashboard', 'Dashboard'],
  ['plans', 'Plans'],
  ['history', 'History'],
  ['verify', 'Verify'],
  ['restore', 'Restore'],
  ['settings', 'Settings'],
] as const;

/** Opens a screen by its route and waits for its heading. */
export async function openScreen(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.goto(`/#/${hash}`);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}
