/**
 * Whether a process is alive on this machine. The app, the CLI and the daemon share a data
 * dir: a job or a lease another live process holds is its own, not one a crash left behind.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
