import { describe, expect, it } from 'vitest';
import { PolicyConfigSchema, ROLE_RANK } from '../../../shared/domain/control.js';
import { RANK } from '../../../renderer/stores/identity.js';
import { PAPER_DEFAULTS, checkPolicyText, defaultTag, diffPolicy, isDefault, leaves, paperDefaults } from '../../../renderer/model/policy.js';

describe('policy view', () => {
  const d = paperDefaults();

  it('knows the paper’s defaults, exactly as the schema gives them', () => {
    expect(PAPER_DEFAULTS).toEqual(PolicyConfigSchema.parse({}));
    expect(d.polca).toMatchObject({ t1Pct: 80, t2Pct: 89, brakePct: 100 });
    expect(isDefault('polca.t1Pct', 80, d)).toBe(true);
    expect(isDefault('polca.t1Pct', 78, d)).toBe(false);
    expect(isDefault('actuation.capPath', 'outOfBand', d)).toBe(true);
  });

  it('knows Headroom’s controller block and calls its defaults Headroom’s, not the paper’s', () => {
    expect(d.headroom).toMatchObject({ envelopeS: 30, escalateBrakes: 2, deepClockShare: 0.7 });
    expect(isDefault('headroom.minHoldS', 300, d)).toBe(true);
    expect(isDefault('headroom.minHoldS', 60, d)).toBe(false);
    expect(defaultTag('headroom.minHoldS')).toBe('Headroom default');
    expect(defaultTag('polca.minHoldS')).toBe('paper default');
    expect(defaultTag('actuation.brakeS')).toBe('paper default');
    const changed = structuredClone(d);
    changed.headroom.marginPct = 3;
    expect(diffPolicy(d, changed)).toEqual([{ path: 'headroom.marginPct', from: '2', to: '3' }]);
  });

  it('lists leaf differences by path', () => {
    const changed = structuredClone(d);
    changed.polca.t1Pct = 78;
    changed.playbooks = [{ id: 'feed-loss', description: '', trigger: { kind: 'powerBudgetLoss', rideThroughS: 10 }, stages: [{ afterS: 0, action: { kind: 'brake' } }] }];
    const diff = diffPolicy(d, changed);
    expect(diff).toContainEqual({ path: 'polca.t1Pct', from: '80', to: '78' });
    expect(diff.some((c) => c.path.startsWith('playbooks[0]'))).toBe(true);
    expect(diffPolicy(d, structuredClone(d))).toEqual([]);
    expect(leaves({ a: [1, { b: 2 }] })).toEqual([
      { path: 'a[0]', value: 1 },
      { path: 'a[1].b', value: 2 },
    ]);
  });

  it('ranks roles as the contract does (the renderer keeps its own copy to stay free of zod)', () => {
    expect(RANK).toEqual(ROLE_RANK);
  });

  it('checks the editor’s JSON syntax before the engine judges the content', () => {
    expect(checkPolicyText('{')).toMatchObject({ ok: false, errors: [expect.stringMatching(/^not valid JSON/)] });
    expect(checkPolicyText('[1]')).toMatchObject({ ok: false });
    expect(checkPolicyText(JSON.stringify({ polca: { t1Pct: 75 } }))).toEqual({ ok: true, value: { polca: { t1Pct: 75 } } });
  });
});
