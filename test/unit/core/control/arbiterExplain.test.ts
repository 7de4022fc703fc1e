import { describe, expect, it } from 'vitest';
import { Arbiter } from '../../../../main/core/control/arbiter.js';

/**
 * explain() credits exactly the contribution the last decision used, per channel: one brake however many ask for it
 * (same source, same or no reason), the lower of two locks or limits from the same source, and not a contribution
 * added after that decision.
 */

describe('arbiter: which contribution explain() credits', () => {
  it('an arbiter without layers decides no setpoint and explains nothing', () => {
    const a = new Arbiter(2);
    a.decide();
    expect([...a.out.lockMHz, ...a.out.limitW, ...a.out.brake, ...a.out.source]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(a.explain(0)).toEqual([]);
  });

  it('of several brakes from one source with no reason, exactly the first is credited', () => {
    const a = new Arbiter(1);
    for (const name of ['POLCA brake', 'playbook', 'manual brake']) a.addLayer(name, 'emergency').brake[0] = 1;
    a.decide();
    const ex = a.explain(0);
    expect(ex.map((c) => [c.layer, c.source, c.what, c.winner])).toEqual([
      ['POLCA brake', 'emergency', 'power brake', true],
      ['playbook', 'emergency', 'power brake', false],
      ['manual brake', 'emergency', 'power brake', false],
    ]);
  });

  it('of two locks or limits from one source, the lower is credited', () => {
    const a = new Arbiter(1);
    const [x, y] = [a.addLayer('x', 'emergency'), a.addLayer('y', 'emergency')];
    x.lockMHz[0] = 1500;
    y.lockMHz[0] = 1200;
    x.limitW[0] = 400;
    y.limitW[0] = 450;
    a.decide();
    expect(a.explain(0).map((c) => [c.layer, c.what, c.winner])).toEqual([
      ['x', 'power limit 400 W', true],
      ['y', 'clock lock 1200 MHz', true],
      ['x', 'clock lock 1500 MHz', false],
      ['y', 'power limit 450 W', false],
    ]);
  });

  it('a brake asked for after the last decision is listed but not credited; the one decided on still is', () => {
    const a = new Arbiter(1);
    const [x, y] = [a.addLayer('x', 'emergency'), a.addLayer('y', 'emergency')];
    y.brake[0] = 1;
    y.brakeWhy[0] = a.why('row over budget');
    a.decide();
    x.brake[0] = 1;
    x.brakeWhy[0] = a.why('later');
    expect(a.explain(0).map((c) => [c.layer, c.why, c.winner])).toEqual([
      ['y', 'row over budget', true],
      ['x', 'later', false],
    ]);
  });
});
