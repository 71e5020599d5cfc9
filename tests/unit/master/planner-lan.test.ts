import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lanOf } from '../../../main/core/deckies/deploy-service';
import { planDeploy, type PlanHost } from '../../../main/core/deckies/planner';
import type { HostRecord } from '../../../main/core/store/schema';
import { tryParseRange } from '../../../shared/domain/ip-range';
import { hostRecord } from './helpers';

const record = (network: HostRecord['network']): HostRecord => ({
  ...hostRecord(randomUUID()),
  name: 'lan-w',
  address: '198.51.100.2',
  ...(network ? { network } : {}),
});
const reported = {
  driver: 'macvlan' as const,
  interface: 'eth0',
  address: '198.51.100.2',
  subnet: '198.51.100.0/24',
  gateway: '198.51.100.1',
  listenPort: 8765,
};

describe('planner on LAN workers', () => {
  it('allocates from the reported subnet, never the worker, its gateway or a fleet address', () => {
    const h = record({ reported, settings: {} });
    const host: PlanHost = { uuid: h.uuid, name: h.name, local: false, deckyCount: 0, lan: lanOf(h)! };
    const plan = planDeploy(
      { count: 3, services: ['ssh'] },
      [{ name: 'x', ip: '198.51.100.3', hostName: 'lan-w' }],
      [host],
    );
    expect(plan.deckies.map((d) => d.config.ip)).toEqual(['198.51.100.4', '198.51.100.5', '198.51.100.6']);
    expect(plan.warnings).toEqual([]);
  });

  it("takes the operator's range and reports it exhausted", () => {
    const h = record({ reported, settings: { deckyRange: '198.51.100.200-198.51.100.201' } });
    const host: PlanHost = { uuid: h.uuid, name: h.name, local: false, deckyCount: 0, lan: lanOf(h)! };
    expect(planDeploy({ count: 2, services: ['ssh'] }, [], [host]).deckies.map((d) => d.config.ip)).toEqual([
      '198.51.100.200',
      '198.51.100.201',
    ]);
    expect(() => planDeploy({ count: 3, services: ['ssh'] }, [], [host])).toThrow(
      'the decky range 198.51.100.200-198.51.100.201 of host lan-w is exhausted; widen it on the Hosts page',
    );
  });

  it('keeps loopback hosts (and agents that report nothing) on the loopback pool', () => {
    expect(lanOf(record(undefined))).toBeUndefined();
    expect(lanOf(record({ reported: { driver: 'loopback' }, settings: {} }))).toBeUndefined();
    expect(lanOf(record({ reported, settings: { driver: 'loopback' } }))).toBeUndefined();
    expect(lanOf(record({ reported, settings: {} }))?.range).toEqual(tryParseRange('198.51.100.1-198.51.100.254'));
  });
});
