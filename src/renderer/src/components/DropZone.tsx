import { useEffect, useRef, useState } from 'react';
import { openBackupFile } from '../stores/open-file';

const BACKUP_EXTENSION = '.lifeboat';

function carriesFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}

/**
 * Dropping a .lifeboat file anywhere on the window opens it in the Restore screen. While files
 * are dragged over the window an overlay says what a drop does; another kind of file gets a
 * message instead. The path comes from the preload (Electron's webUtils): the renderer never
 * reads the file itself.
 */
export function DropZone() {
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // dragenter/dragleave fire for every element crossed: count them to know when the drag left the window
  const depth = useRef(0);

  useEffect(() => {
    const onEnter = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth.current++;
      setDragging(true);
    };
    const onOver = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      // without this the drop would make the window navigate to the file
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = Array.from(event.dataTransfer?.files ?? []);
      const backup = files.find((file) => file.name.toLowerCase().endsWith(BACKUP_EXTENSION));
      if (!backup) {
        const name = files[0]?.name ?? 'This';
        setNotice(
          `“${name}” is not a Lifeboat backup. Drop a ${BACKUP_EXTENSION} file that Lifeboat created to inspect, verify and restore it.`,
        );
        return;
      }
      const filePath = window.lifeboat.pathForFile(backup);
      if (!filePath) {
        setNotice(`Lifeboat could not tell where “${backup.name}” is stored. Enter its path under Restore → Open a backup file.`);
        return;
      }
      setNotice(files.length > 1 ? `Several files were dropped; “${backup.name}” was opened.` : null);
      openBackupFile(filePath);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 12_000);
    return () => clearTimeout(timer);
  }, [notice]);

  return (
    <>
      {dragging && (
        <div className="drop-overlay" role="dialog" aria-label="Drop a backup file">
          <div className="drop-overlay-card">
            <svg className="drop-overlay-icon" viewBox="0 0 48 48" aria-hidden="true">
              <path d="M24 6v24m0 0-9-9m9 9 9-9" />
              <path d="M8 30v8a4 4 0 0 0 4 4h24a4 4 0 0 0 4-4v-8" />
            </svg>
            <strong>Drop a .lifeboat file to open it</strong>
            <span>Lifeboat shows what it holds before anything is restored.</span>
          </div>
        </div>
      )}
      {notice && (
        <div className="toast" role="alert">
          <span>{notice}</span>
          <button type="button" className="button-ghost" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
