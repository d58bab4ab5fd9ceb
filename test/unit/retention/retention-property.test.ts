/**
 * Property test of chain-aware retention over random histories (fast-check): a plan runs many
 * times, each run an incremental, differential or full as decideNextBackupType says, verified or
 * not, of random size, with files now and then vanishing behind Lifeboat's back; after each run
 * retention decides and what it prunes is removed. Whatever the rules:
 * - every backup is kept or pruned, exactly once;
 * - no kept backup ever loses its base (so, by induction, its whole chain down to the full);
 * - the newest backup, the newest verified one and the newest verified full are kept;
 * - no chain grows past "a full every N runs";
 * - the kept file count stays bounded by the rules: the kept backups lie in at most as many
 *   chains as the count rules and floors can want, so at most that many chains of at most N;
 * - under a storage cap, the kept bytes fit, or what is left is only what may never go.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideNextBackupType, groupChains } from '../../../src/main/core/retention/chains';
import { planRetention, type RetentionCandidate } from '../../../src/main/core/retention/retention';
import type { BackupType, Retention } from '../../../src/shared/plan';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

interface Step {
  gapHours: number;
  verified: boolean;
  sizeBytes: number;
  /** index of a backup on disk whose file vanishes before this run (null: none) */
  vanish: number | null;
  /** "Next run: full" */
  fullRequested: boolean;
}

const nullable = (arb: fc.Arbitrary<number>) => fc.option(arb, { nil: null });

const rulesArb: fc.Arbitrary<Retention> = fc.record({
  days: nullable(fc.integer({ min: 1, max: 30 })),
  maxCount: nullable(fc.integer({ min: 1, max: 12 })),
  keepLast: fc.integer({ min: 0, max: 5 }),
  keepDaily: fc.integer({ min: 0, max: 4 }),
  keepWeekly: fc.integer({ min: 0, max: 3 }),
  keepMonthly: fc.integer({ min: 0, max: 2 }),
  keepChains: fc.integer({ min: 0, max: 4 }),
  capBytes: nullable(fc.integer({ min: 50, max: 600 })),
});

const policyArb = fc.record({
  type: fc.constantFrom<BackupType>('incremental', 'differential', 'full'),
  fullEveryRuns: nullable(fc.integer({ min: 1, max: 6 })),
  fullEveryDays: nullable(fc.integer({ min: 1, max: 10 })),
});

const stepArb: fc.Arbitrary<Step> = fc.record({
  gapHours: fc.integer({ min: 1, max: 60 }),
  verified: fc.boolean(),
  sizeBytes: fc.integer({ min: 1, max: 100 }),
  vanish: fc.option(fc.nat({ max: 30 }), { nil: null, freq: 8 }),
  fullRequested: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

/** The kept backups' chains that hold a wanted member can number at most this many (null: keep-everything). */
function chainBound(rules: Retention): number | null {
  const counted = rules.keepLast + rules.keepDaily + rules.keepWeekly + rules.keepMonthly + rules.keepChains;
  const selection = counted > 0 || rules.days !== null;
  if (!selection && rules.maxCount === null) return null;
  // maxCount alone selects (up to) maxCount backups; the days rule has no count, so only maxCount bounds it
  if (rules.days !== null) return rules.maxCount === null ? null : rules.maxCount + 3;
  // keepChains selects whole chains: each counts once; the other counts select one backup (one chain) each
  const wanted = selection ? counted : rules.maxCount!;
  return Math.min(wanted, rules.maxCount ?? Infinity) + 3;
}

describe('planRetention over random histories', () => {
  it('never orphans a kept backup, keeps the floors, and keeps the file count bounded by the rules', () => {
    fc.assert(
      fc.property(policyArb, rulesArb, fc.array(stepArb, { minLength: 1, maxLength: 40 }), (policy, rules, steps) => {
        let disk: RetentionCandidate[] = [];
        let now = START;
        steps.forEach((step, n) => {
          now += step.gapHours * HOUR;
          if (step.vanish !== null && disk.length > 1) disk = disk.filter((_, i) => i !== step.vanish! % disk.length);

          // the run: what decideNextBackupType says, built on the newest backup (incremental) or the newest full (differential)
          const next = decideNextBackupType(policy, disk, new Date(now), step.fullRequested);
          const newestFirst = [...disk].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
          const base = next.type === 'incremental' ? newestFirst[0] : next.type === 'differential' ? newestFirst.find((b) => b.type === 'full') : undefined;
          const type: BackupType = base ? next.type : 'full';
          const current: RetentionCandidate = {
            id: `b${n}`,
            startedAt: new Date(now).toISOString(),
            verified: step.verified,
            baseId: base?.id ?? null,
            type,
            sizeBytes: step.sizeBytes,
          };
          disk.push(current);

          // a chain never grows past "a full every N runs"
          if (policy.fullEveryRuns !== null) {
            for (const chain of groupChains(disk)) expect(chain.members.length).toBeLessThanOrEqual(policy.fullEveryRuns);
          }

          const decision = planRetention(disk, rules, new Date(now), 'UTC');
          const keptIds = new Set(decision.keep.map((k) => k.id));
          const prunedIds = decision.prune.map((p) => p.id);
          // a partition of the input
          expect([...keptIds, ...prunedIds].sort()).toEqual(disk.map((b) => b.id).sort());
          expect(keptIds.size + prunedIds.length).toBe(disk.length);

          const byId = new Map(disk.map((b) => [b.id, b]));
          // no kept backup loses its base (a base already gone is nobody's to keep)
          for (const id of keptIds) {
            const baseId = byId.get(id)!.baseId;
            if (baseId && byId.has(baseId)) expect(keptIds.has(baseId), `${id} kept without its base ${baseId}`).toBe(true);
          }
          // the floors
          const sorted = [...disk].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? -1 : 1));
          expect(keptIds.has(sorted[0]!.id)).toBe(true);
          const newestVerified = sorted.find((b) => b.verified);
          if (newestVerified) expect(keptIds.has(newestVerified.id)).toBe(true);
          const newestVerifiedFull = sorted.find((b) => b.verified && b.type === 'full');
          if (newestVerifiedFull) expect(keptIds.has(newestVerifiedFull.id)).toBe(true);

          // the file count stays bounded by the rules
          const kept = disk.filter((b) => keptIds.has(b.id));
          const keptChains = groupChains(kept);
          const bound = chainBound(rules);
          if (bound !== null) {
            expect(keptChains.length).toBeLessThanOrEqual(bound);
            if (policy.fullEveryRuns !== null) expect(kept.length).toBeLessThanOrEqual(bound * policy.fullEveryRuns);
          }

          // the storage cap: met, or only the chains that may never go are left
          if (rules.capBytes !== null) {
            const keptBytes = kept.reduce((sum, b) => sum + (b.sizeBytes ?? 0), 0);
            expect(decision.storage).toEqual({ capBytes: rules.capBytes, keptBytes, met: keptBytes <= rules.capBytes });
            if (!decision.storage!.met) {
              const protectedIds = [sorted[0], newestVerified, newestVerifiedFull].filter(Boolean).map((b) => b!.id);
              const allChains = groupChains(disk);
              const protectedRoots = new Set(protectedIds.map((id) => allChains.find((c) => c.members.some((m) => m.id === id))!.root.id));
              for (const chain of keptChains) {
                const whole = allChains.find((c) => c.members.some((m) => m.id === chain.members[0]!.id))!;
                expect(protectedRoots.has(whole.root.id)).toBe(true);
              }
            }
          } else expect(decision.storage).toBeUndefined();

          disk = kept;
        });
      }),
      { numRuns: 400, seed: 17 },
    );
  });
});
