import { describe, expect, it } from 'vitest';
import { storageCapAlert } from '../../../src/main/core/notify/storage-cap-alert';

const plan = { id: 'p1', name: 'Nightly' };

describe('storageCapAlert', () => {
  it('says nothing while the kept backups fit under the cap', () => {
    expect(storageCapAlert(plan, 50_000_000, 50_000_000, 'j1')).toBeNull();
    expect(storageCapAlert(plan, 10, 50_000_000, 'j1')).toBeNull();
  });

  it('names the plan, the sizes and the ways out when they do not', () => {
    const alert = storageCapAlert(plan, 60_000_000, 50_000_000, 'j1')!;
    expect(alert).toMatchObject({ kind: 'storage-cap', planId: 'p1', jobId: 'j1' });
    expect(alert.message).toContain('"Nightly" take 60 MB, more than its storage cap of 50 MB');
    expect(alert.message).toContain('Raise the cap');
  });
});
