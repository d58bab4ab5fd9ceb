/**
 * Hash routing (`#/history?job=<id>`): works the same from file://, a custom protocol and the
 * e2e static server, and lets a notification open a given job later by setting the hash.
 */
import { useSyncExternalStore } from 'react';
import { useLeaveGuard } from '../stores/leave-guard';

export const SCREENS = ['dashboard', 'plans', 'history', 'verify', 'restore', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const screen = (SCREENS as readonly string[]).includes(path) ? (path as Screen) : 'dashboard';
  return { screen, params: new URLSearchParams(query) };
}

export function hrefFor(screen: Screen, params?: Record<string, string>): string {
  const query = params ? new URLSearchParams(params).toString() : '';
  return `#/${screen}${query ? `?${query}` : ''}`;
}

/** Goes to a screen, after asking whether to drop unsaved changes when the plan editor holds some. */
export function navigate(screen: Screen, params?: Record<string, string>): void {
  useLeaveGuard.getState().leave(() => {
    window.location.hash = hrefFor(screen, params);
  });
}

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The hash string is the snapshot: a string compares by value, so renders stay stable. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return parseHash(hash);
}
