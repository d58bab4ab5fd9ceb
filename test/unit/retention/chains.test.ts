import { describe, expect, it } from 'vitest';
import { decideNextBackupType, groupChains, type ChainMember } from '../../../src/main/core/retention/chains';
import { formatByteSize, parseByteSize } from '../../../src/shared/size';

const at = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour)).toISOString();
const full = (id: string, hour: number): ChainMember => ({ id, startedAt: at(hour), baseId: null, type: 'full' });
const incr = (id: string, hour: number, baseId: string): ChainMember => ({ id, startedAt: at(hour), baseId, type: 'incremental' });
const diff = (id: string, hour: number, baseId: string): ChainMember => ({ id, startedAt: at(hour), baseId, type: 'differential' });

describe('groupChains', () => {
  it('groups incrementals and differentials under their full, newest chain first, members newest first', () => {
    const chains = groupChains([full('f1', 1), incr('i1', 2, 'f1'), incr('i2', 3, 'i1'), full('f2', 4), diff('d1', 5, 'f2'), diff('d2', 6, 'f2')]);
    expect(chains.map((c) => c.root.id)).toEqual(['f2', 'f1']);
    expect(chains[0]!.members.map((m) => m.id)).toEqual(['d2', 'd1', 'f2']);
    expect(chains[1]!.members.map((m) => m.id)).toEqual(['i2', 'i1', 'f1']);
    expect(chains.every((c) => c.complete)).toBe(true);
  });

  it('roots a chain whose full is gone at its oldest link left, and marks it incomplete', () => {
    const chains = groupChains([incr('i2', 3, 'i1'), incr('i1', 2, 'gone'), full('f2', 4)]);
    expect(chains.map((c) => [c.root.id, c.complete])).toEqual([
      ['f2', true],
      ['i1', false],
    ]);
  });

  it('cuts a corrupt cycle of bases instead of looping', () => {
    const chains = groupChains([incr('a', 1, 'b'), incr('b', 2, 'a')]);
    expect(chains.flatMap((c) => c.members.map((m) => m.id)).sort()).toEqual(['a', 'b']);
  });
});

describe('decideNextBackupType', () => {
  const now = new Date(at(10));
  const incremental = { type: 'incremental' as const, fullEveryRuns: null, fullEveryDays: 7 };

  it('makes a full for a full plan, and for the first run of an incremental one', () => {
    expect(decideNextBackupType({ ...incremental, type: 'full' }, [full('f', 1)], now).type).toBe('full');
    expect(decideNextBackupType(incremental, [], now)).toMatchObject({ type: 'full', reason: 'there is no earlier backup to build on' });
  });

  it('builds on the newest chain until it holds fullEveryRuns backups', () => {
    const policy = { ...incremental, fullEveryRuns: 3 };
    const two = [full('f', 1), incr('i1', 2, 'f')];
    expect(decideNextBackupType(policy, two, now)).toMatchObject({ type: 'incremental', chain: { rootId: 'f', length: 2 } });
    const three = [...two, incr('i2', 3, 'i1')];
    expect(decideNextBackupType(policy, three, now)).toMatchObject({ type: 'full', chain: null, reason: 'the chain holds 3 backups (a full every 3 runs)' });
  });

  it('starts a new chain once the full is fullEveryDays old (the default is 7 days)', () => {
    const history = [full('f', 1), incr('i1', 2, 'f')];
    expect(decideNextBackupType(incremental, history, new Date(Date.parse(at(1)) + 7 * 86_400_000 - 1)).type).toBe('incremental');
    expect(decideNextBackupType(incremental, history, new Date(Date.parse(at(1)) + 7 * 86_400_000))).toMatchObject({
      type: 'full',
      reason: "the chain's full is 7 days old (a full every 7 days)",
    });
  });

  it('never starts one on its own with both rules off, but does when asked', () => {
    const policy = { type: 'differential' as const, fullEveryRuns: null, fullEveryDays: null };
    const history = [full('f', 1), ...Array.from({ length: 50 }, (_, i) => diff(`d${i}`, 2 + i, 'f'))];
    expect(decideNextBackupType(policy, history, new Date(at(5000))).type).toBe('differential');
    expect(decideNextBackupType(policy, history, now, true)).toMatchObject({ type: 'full', reason: 'a full backup was asked for' });
  });

  it('starts a new chain when the newest one has lost its full', () => {
    expect(decideNextBackupType(incremental, [incr('i1', 2, 'gone')], now)).toMatchObject({ type: 'full', reason: 'the newest chain has lost its full backup' });
  });
});

describe('parseByteSize', () => {
  it('reads decimal and binary units, any case, with or without a space', () => {
    expect(parseByteSize('50MB')).toBe(50_000_000);
    expect(parseByteSize('50 mb')).toBe(50_000_000);
    expect(parseByteSize('1.5GB')).toBe(1_500_000_000);
    expect(parseByteSize('500MiB')).toBe(500 * 1024 * 1024);
    expect(parseByteSize('750k')).toBe(750_000);
    expect(parseByteSize('1000000')).toBe(1_000_000);
  });

  it('refuses what is not a size', () => {
    for (const text of ['', 'MB', '-5MB', '5 XB', '5,5MB', '1e3', 'ten']) expect(parseByteSize(text), text).toBeNull();
  });

  it('formats a size so that it reads back the same', () => {
    for (const bytes of [50_000_000, 1_500_000_000, 500 * 1024 * 1024, 1234]) expect(parseByteSize(formatByteSize(bytes))).toBe(bytes);
    expect(formatByteSize(50_000_000)).toBe('50MB');
  });
});
