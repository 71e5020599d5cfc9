import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors';
import { createIpAllocator } from '../../../../main/core/deckies/ip-pool';
import { planDeploy, type PlanHost } from '../../../../main/core/deckies/planner';

const w1: PlanHost = { uuid: randomUUID(), name: 'w1', local: false, deckyCount: 0 };
const w2: PlanHost = { uuid: randomUUID(), name: 'w2', local: false, deckyCount: 0 };
const local: PlanHost = { uuid: randomUUID(), name: 'local-agent', local: true, deckyCount: 0 };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? `${e.code}: ${e.message}` : String(e);
  }
  return 'no error';
}

describe('deploy planner', () => {
  it('gives every decky a unique name and IP, avoiding the fleet', () => {
    const fleet = [
      { name: 'decky-01', ip: '127.77.0.1', hostName: 'w1' },
      { name: 'decky-03', ip: '127.77.0.2', hostName: 'w1' },
    ];
    const plan = planDeploy({ count: 4, services: ['ssh'], namePrefix: 'decky' }, fleet, [w1]);
    const names = plan.deckies.map((d) => d.config.name);
    const ips = plan.deckies.map((d) => d.config.ip);
    expect(names).toEqual(['decky-02', 'decky-04', 'decky-05', 'decky-06']);
    expect(new Set(ips).size).toBe(4);
    for (const ip of ips) expect(fleet.map((f) => f.ip)).not.toContain(ip);
    expect(ips[0]).toBe('127.77.0.3');
  });

  it('spreads over hosts by load and marks local deckies master-resident', () => {
    const plan = planDeploy({ count: 3, archetype: 'linux-server' }, [], [{ ...w1, deckyCount: 1 }, w2]);
    expect(plan.deckies.map((d) => d.placedOn)).toEqual([w2.uuid, w1.uuid, w2.uuid]);
    expect(plan.deckies[0]!.config).toMatchObject({
      hostUuid: w2.uuid,
      services: ['ssh', 'http'],
      archetype: 'linux-server',
      nmapOs: 'linux',
    });
    const l = planDeploy({ count: 1, services: ['http'] }, [], [local]);
    expect(l.deckies[0]!.config.hostUuid).toBeNull();
    expect(l.deckies[0]!.placedOn).toBe(local.uuid);
  });

  it('name or IP collisions with the fleet are CONFLICT with a clear message', () => {
    const fleet = [{ name: 'web-1', ip: '127.77.0.9', hostName: 'w1' }];
    expect(code(() => planDeploy({ deckies: [{ name: 'web-1' }], services: ['http'] }, fleet, [w1]))).toBe(
      'CONFLICT: decky name "web-1" is already in the fleet on host w1; choose another name or tear it down first',
    );
    expect(
      code(() => planDeploy({ deckies: [{ name: 'web-2', ip: '127.77.0.9' }], services: ['http'] }, fleet, [w1])),
    ).toBe('CONFLICT: IP 127.77.0.9 is already used by decky "web-1" on host w1');
  });

  it('rejects duplicates within the request, a count mismatch, no services and no host', () => {
    expect(code(() => planDeploy({ deckies: [{ name: 'a' }, { name: 'a' }], services: ['ssh'] }, [], [w1]))).toMatch(
      /^INVALID_INPUT: decky name "a" appears twice/,
    );
    expect(
      code(() =>
        planDeploy(
          {
            deckies: [
              { name: 'a', ip: '127.1.1.1' },
              { name: 'b', ip: '127.1.1.1' },
            ],
            services: ['ssh'],
          },
          [],
          [w1],
        ),
      ),
    ).toMatch(/IP 127.1.1.1 appears twice/);
    expect(code(() => planDeploy({ count: 3, deckies: [{ name: 'a' }], services: ['ssh'] }, [], [w1]))).toMatch(
      /count is 3 but 1 deckies/,
    );
    expect(code(() => planDeploy({ count: 1 }, [], [w1]))).toMatch(/choose an archetype or a list of services/);
    expect(code(() => planDeploy({ count: 1, services: ['ssh'] }, [], []))).toMatch(/^CONFLICT: no live host/);
  });

  it('validates the resulting configs (port clash, persona keys)', () => {
    expect(
      code(() =>
        planDeploy(
          { count: 1, services: ['ssh'], namePrefix: 'decky', serviceConfig: { ssh: { nope: 'x' } } },
          [],
          [w1],
        ),
      ),
    ).toMatch(/INVALID_INPUT: decky decky-01: .*ssh has no persona key "nope"/);
  });

  it('explicit IPs are kept and reserved for the auto-allocated ones', () => {
    const plan = planDeploy({ deckies: [{ name: 'a', ip: '127.77.0.1' }, { name: 'b' }], services: ['ssh'] }, [], [w1]);
    expect(plan.deckies.map((d) => d.config.ip)).toEqual(['127.77.0.1', '127.77.0.2']);
  });

  it('the allocator skips .0 and .255 and taken addresses', () => {
    const next = createIpAllocator(new Set(['127.77.0.1']), { base: (127 << 24) | (77 << 16), size: 258 });
    const got = Array.from({ length: 254 }, () => next());
    expect(got[0]).toBe('127.77.0.2');
    expect(got).not.toContain('127.77.0.255');
    expect(got).not.toContain('127.77.1.0');
    expect(got.at(-1)).toBe('127.77.1.1');
    expect(next()).toBeNull();
  });
});
