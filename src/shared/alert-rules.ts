/**
 * A plan's alert rules: when its runs, its destination's disk and its schedule raise an alert.
 * Each rule can be turned off; the defaults are what Lifeboat has always done. Pure: the plan
 * editor and the command line build them, the notification service reads them.
 */
import { z } from 'zod';

export const alertRulesSchema = z
  .object({
    /** this many failed (or partial, or interrupted) runs in a row raise an alert */
    consecutiveFailures: z
      .object({ enabled: z.boolean().default(true), count: z.number().int().min(1).max(100).default(2) })
      .prefault({}),
    /** a successful backup more than `factor` times its usual size, or less than 1/`factor` of it */
    sizeChange: z
      .object({ enabled: z.boolean().default(true), factor: z.number().min(1.1, 'Use a factor of at least 1.1').max(1000).default(2) })
      .prefault({}),
    /**
     * a run longer than `factor` times its usual duration (and at least a minute longer), or
     * longer than `minutes`; either may be null (not that rule), not both
     */
    duration: z
      .object({
        enabled: z.boolean().default(true),
        factor: z.number().min(1.1, 'Use a factor of at least 1.1').max(1000).nullable().default(3),
        minutes: z.number().int().min(1).max(525_600).nullable().default(null),
      })
      .prefault({})
      .refine((r) => !r.enabled || r.factor !== null || r.minutes !== null, {
        message: 'Give a factor or a number of minutes for the duration alert, or turn it off',
        path: ['factor'],
      }),
    /** less than `percent` % or less than `bytes` free at the destination; either may be null, not both */
    lowDisk: z
      .object({
        enabled: z.boolean().default(true),
        percent: z.number().min(0.1).max(99).nullable().default(10),
        bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().default(1_000_000_000),
      })
      .prefault({})
      .refine((r) => !r.enabled || r.percent !== null || r.bytes !== null, {
        message: 'Give a percentage or a size for the low-disk alert, or turn it off',
        path: ['percent'],
      }),
    /**
     * no success within one schedule interval plus `graceMinutes`; null: plus another interval
     * (twice the interval, as before)
     */
    overdue: z
      .object({ enabled: z.boolean().default(true), graceMinutes: z.number().int().min(0).max(525_600).nullable().default(null) })
      .prefault({}),
  })
  .prefault({});

export type AlertRules = z.output<typeof alertRulesSchema>;
export type AlertRulesInput = z.input<typeof alertRulesSchema>;

/** Today's behaviour: what a plan without rules of its own gets. */
export const DEFAULT_ALERT_RULES: AlertRules = alertRulesSchema.parse({});
