import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { FocusScope } from 'react-aria';

/** Escape closes what this handler is on, and not what holds it (the job panel closes on Escape too). */
export function closeOnEscape(close: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    event.nativeEvent.stopImmediatePropagation();
    close();
  };
}

/**
 * An inline confirmation (Delete plan?, Delete backup?): focus moves into it when it opens
 * (React Aria's FocusScope autoFocus), Escape answers "no", and focus goes back to the button
 * that opened it (restoreFocus, or `returnFocus` when that button was replaced by the
 * confirmation and is mounted again after).
 */
export function InlineConfirm({
  label,
  onCancel,
  className = 'confirm-box',
  children,
}: {
  label: string;
  onCancel(): void;
  className?: string;
  children: ReactNode;
}) {
  return (
    <FocusScope autoFocus restoreFocus>
      <div className={className} role="alertdialog" aria-label={label} onKeyDown={closeOnEscape(onCancel)}>
        {children}
      </div>
    </FocusScope>
  );
}

/**
 * For a trigger that the confirmation replaces: a ref for it, focused again once `open` turns
 * false (the trigger is mounted again by then).
 */
export function useReturnFocus<T extends HTMLElement>(open: boolean) {
  const ref = useRef<T>(null);
  const wasOpen = useRef(open);
  useEffect(() => {
    if (wasOpen.current && !open) ref.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return ref;
}
