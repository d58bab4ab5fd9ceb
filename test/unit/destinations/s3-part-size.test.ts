import { describe, expect, it } from 'vitest';
import { partSizeFor, S3_PART_SIZE } from '../../../src/main/core/destinations/s3';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('partSizeFor', () => {
  it('keeps 8 MiB parts when the size is unknown or 8 MiB parts hold it', () => {
    expect(partSizeFor(undefined)).toBe(S3_PART_SIZE);
    expect(partSizeFor(0)).toBe(S3_PART_SIZE);
    expect(partSizeFor(45e6)).toBe(8 * MiB);
    expect(partSizeFor(70 * GiB)).toBe(8 * MiB);
  });

  it('grows the parts in whole MiB so that fewer than 10,000 hold a large backup', () => {
    for (const size of [80 * GiB, 100 * GiB, 1024 * GiB, 20 * 1024 * GiB]) {
      const part = partSizeFor(size);
      expect(part % MiB).toBe(0);
      expect(part).toBeGreaterThan(8 * MiB);
      expect(Math.ceil(size / part)).toBeLessThanOrEqual(9000);
    }
    expect(partSizeFor(100 * GiB)).toBe(12 * MiB);
  });

  it('never asks for a part over S3\'s 5 GiB', () => {
    expect(partSizeFor(100 * 1024 * 1024 * GiB)).toBe(5 * GiB);
  });
});
