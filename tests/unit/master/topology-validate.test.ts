import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { assertValidTopology, topologyIssues } from '../../../shared/domain/topology-rules';
import type { TopologyDraft } from '../../../shared/ipc/contract';

type Draft = z.output<typeof TopologyDraft>;

const good = (): Draft => ({
  name: 't',
  lans: [
    { id: 'dmz', name: 'dmz', subnet: '10.0.0.0/24', isDmz: true },
    { id: 'in', name: 'inside', subnet: '10.0.1.0/24', isDmz: false },
  ],
  deckies: [
    {
      uuid: 'a',
      name: 'gw',
      services: ['ssh'],
      ipsByLan: { dmz: '10.0.0.10', in: '10.0.1.1' },
      forwardsL3: true,
      serviceConfig: {},
    },
    { uuid: 'b', name: 'db', services: ['mysql'], ipsByLan: { in: '10.0.1.20' }, forwardsL3: false, serviceConfig: {} },
  ],
  edges: [
    { id: 'e1', deckyUuid: 'a', lanId: 'dmz', isBridge: false },
    { id: 'e2', deckyUuid: 'a', lanId: 'in', isBridge: true },
    { id: 'e3', deckyUuid: 'b', lanId: 'in', isBridge: false },
  ],
});

const codes = (d: Draft) => topologyIssues(d).map((i) => i.code);

describe('topology validation', () => {
  it('accepts a well-formed topology', () => {
    expect(topologyIssues(good())).toEqual([]);
  });

  it('needs exactly one DMZ', () => {
    const none = good();
    none.lans[0]!.isDmz = false;
    expect(codes(none)).toContain('DMZ_MISSING');
    const two = good();
    two.lans[1]!.isDmz = true;
    expect(codes(two)).toContain('DMZ_MULTIPLE');
  });

  it('refuses malformed and overlapping subnets', () => {
    const d = good();
    d.lans[1]!.subnet = '10.0.0.128/25';
    expect(codes(d)).toContain('SUBNET_OVERLAP');
    d.lans[1]!.subnet = '10.0.1.5/24';
    expect(codes(d)).toContain('SUBNET_MALFORMED');
  });

  it('checks IPs: inside their LAN, unique per LAN, on LANs the decky is connected to', () => {
    const d = good();
    d.deckies[1]!.ipsByLan = { in: '10.0.1.1' };
    expect(codes(d)).toContain('IP_COLLISION');
    d.deckies[1]!.ipsByLan = { in: '10.0.2.1' };
    expect(codes(d)).toContain('IP_OUT_OF_SUBNET');
    d.deckies[1]!.ipsByLan = {};
    expect(codes(d)).toContain('IP_MISSING');
  });

  it('every decky needs an edge, and every LAN must be reachable from the DMZ', () => {
    const d = good();
    d.edges = d.edges.filter((e) => e.id !== 'e2');
    d.deckies[0]!.ipsByLan = { dmz: '10.0.0.10' };
    expect(codes(d)).toContain('DMZ_ORPHAN');
    d.edges = d.edges.filter((e) => e.id !== 'e3');
    expect(codes(d)).toContain('DECKY_ORPHAN');
  });

  it('throws one INVALID_INPUT listing every issue', () => {
    const d = good();
    d.lans[0]!.isDmz = false;
    d.deckies[1]!.name = 'gw';
    expect(() => assertValidTopology(d)).toThrow(
      /^\d+ topology validation error\(s\): .*\[DMZ_MISSING\].*\[DECKY_NAME_DUP\] decky name gw appears twice/,
    );
  });
});
