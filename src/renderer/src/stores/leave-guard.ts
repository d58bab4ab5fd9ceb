import { create } from 'zustand';

/**
 * Leaving a screen that holds unsaved changes (the plan editor): the screen says it is dirty
 * and how to drop its changes; a way out (the sidebar, the editor's Cancel, `navigate`) asks
 * `leave(go)`, which goes at once when nothing is dirty and otherwise waits for the user's answer
 * in UnsavedChangesDialog. The window's close is asked about through beforeunload.
 */
interface LeaveGuardState {
  dirty: boolean;
  /** drops the dirty screen's changes (the editor closes) */
  discard: (() => void) | null;
  /** where the user wanted to go, waiting for "Discard changes" */
  pending: (() => void) | null;
  setDirty(dirty: boolean, discard: (() => void) | null): void;
  leave(go: () => void): void;
  confirmDiscard(): void;
  keepEditing(): void;
}

export const useLeaveGuard = create<LeaveGuardState>()((set, get) => ({
  dirty: false,
  discard: null,
  pending: null,
  setDirty(dirty, discard) {
    set({ dirty, discard: dirty ? discard : null, ...(dirty ? {} : { pending: null }) });
  },
  leave(go) {
    if (!get().dirty) return go();
    set({ pending: go });
  },
  confirmDiscard() {
    const { discard, pending } = get();
    set({ dirty: false, discard: null, pending: null });
    discard?.();
    pending?.();
  },
  keepEditing() {
    set({ pending: null });
  },
}));

/**
 * Every in-app link (`#/screen`: the sidebar, banners, "Runs appear in History") goes through
 * the guard: a click while the editor is dirty waits for the user's answer. Returns the cleanup.
 */
export function guardInAppLinks(): () => void {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest?.('a[href^="#/"]');
    if (!link || !useLeaveGuard.getState().dirty) return;
    event.preventDefault();
    const href = link.getAttribute('href')!;
    useLeaveGuard.getState().leave(() => {
      window.location.hash = href;
    });
  };
  // the window's close (or a reload) with unsaved changes: the browser asks, Electron's shell asks
  const onBeforeUnload = (event: BeforeUnloadEvent) => {
    if (!useLeaveGuard.getState().dirty) return;
    event.preventDefault();
    event.returnValue = '';
  };
  document.addEventListener('click', onClick, true);
  window.addEventListener('beforeunload', onBeforeUnload);
  return () => {
    document.removeEventListener('click', onClick, true);
    window.removeEventListener('beforeunload', onBeforeUnload);
  };
}
