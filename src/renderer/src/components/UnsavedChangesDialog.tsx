import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { useLeaveGuard } from '../stores/leave-guard';

/**
 * "Discard unsaved changes?" when the user leaves the plan editor with edits. React Aria's modal
 * keeps focus inside while open, closes on Escape (= keep editing) and gives focus back to what
 * had it (the sidebar link, the Cancel button).
 */
export function UnsavedChangesDialog() {
  const pending = useLeaveGuard((s) => s.pending);
  const confirmDiscard = useLeaveGuard((s) => s.confirmDiscard);
  const keepEditing = useLeaveGuard((s) => s.keepEditing);
  return (
    <ModalOverlay className="modal-overlay" isOpen={pending !== null} isDismissable onOpenChange={(open) => !open && keepEditing()}>
      <Modal className="modal">
        <Dialog role="alertdialog" className="modal-dialog">
          <Heading slot="title">Discard unsaved changes?</Heading>
          <p>The plan you are editing has changes that are not saved. Leaving now drops them.</p>
          <div className="button-row modal-actions">
            <button type="button" className="button-primary" autoFocus onClick={keepEditing}>
              Keep editing
            </button>
            <button type="button" className="button-danger" onClick={confirmDiscard}>
              Discard changes
            </button>
          </div>
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
