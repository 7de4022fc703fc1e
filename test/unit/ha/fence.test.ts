import { describe, expect, it } from 'vitest';
import { describeFailover, FENCE_MARGIN_MS, leaseStillHolds } from '../../../main/core/ha/fence.js';

/** The controller's own guard: it acts only while its etcd lease is surely still held (core/ha/fence.ts). */
describe('leaseStillHolds', () => {
  const TTL = 5_000;
  it('holds from the confirmation up to the TTL less the margin, and not after', () => {
    expect(leaseStillHolds(1_000, TTL, 1_000)).toBe(true);
    expect(leaseStillHolds(1_000, TTL, 1_000 + TTL - FENCE_MARGIN_MS - 1)).toBe(true);
    expect(leaseStillHolds(1_000, TTL, 1_000 + TTL - FENCE_MARGIN_MS)).toBe(false);
    expect(leaseStillHolds(1_000, TTL, 1_000 + 60_000)).toBe(false);
  });
  it('a process that never had its lease confirmed does not act', () => {
    expect(leaseStillHolds(-Infinity, TTL, 0)).toBe(false);
    expect(leaseStillHolds(NaN, TTL, 0)).toBe(false);
  });
  it('a clock that went back beyond the margin does not extend the lease', () => {
    expect(leaseStillHolds(10_000, TTL, 10_000 - FENCE_MARGIN_MS - 1)).toBe(false);
  });
  it('says who lost the lead and who leads from which epoch', () => {
    expect(describeFailover('c1', 'c2', 57, 'lost its lease')).toBe('c1 lost its lease; c2 leads from epoch 57');
    expect(describeFailover(null, 'c2', 3, 'x')).toBe('c2 leads from epoch 3 (no leader before)');
  });
});
