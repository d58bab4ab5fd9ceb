import { BackupList } from '../components/BackupList';

export function RestoreScreen() {
  return (
    <section className="screen" aria-labelledby="restore-title">
      <header className="screen-header">
        <h1 id="restore-title">Restore</h1>
      </header>
      <p className="banner banner-info">
        Previewing and restoring a backup (databases, selected tables, files) comes with the restore feature. Until then,
        this is the list of backups it will work on.
      </p>
      <BackupList />
    </section>
  );
}
