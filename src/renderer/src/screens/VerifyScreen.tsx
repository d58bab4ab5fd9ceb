import { BackupList } from '../components/BackupList';

export function VerifyScreen() {
  return (
    <section className="screen" aria-labelledby="verify-title">
      <header className="screen-header">
        <h1 id="verify-title">Verify</h1>
      </header>
      <p className="banner banner-info">
        Checking a backup (checksums, decryption of every chunk, database dumps readable, restore drill) comes with the
        verification feature. Until then, this is the list of backups it will work on.
      </p>
      <BackupList />
    </section>
  );
}
