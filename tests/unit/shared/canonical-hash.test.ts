import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHash, canonicalJson } from '../../../shared/canonical-hash';

const topology = {
  topology: {
    id: 't1',
    name: 'Branch office',
    targetHostUuid: null,
    status: 'active',
    version: 3,
    createdAt: '2026-01-01T00:00:00Z',
  },
  lans: [{ id: 'l1', name: 'dmz', subnet: '10.1.0.0/24', isDmz: true, x: 10, y: 20 }],
  deckies: [
    {
      uuid: 'd1',
      name: 'web-01',
      services: ['http', 'ssh'],
      ipsByLan: { l1: '10.1.0.5' },
      forwardsL3: false,
      serviceConfig: {},
    },
  ],
  edges: [{ id: 'e1', deckyUuid: 'd1', lanId: 'l1', isBridge: false }],
};

describe('canonicalHash', () => {
  // Cross-checked with Python: sha256(json.dumps(t_without_volatile, sort_keys=True, separators=(',',':'))).
  it('is pinned for a fixed input', () => {
    expect(canonicalHash(topology)).toBe('94bfea08c280b7cb366a0a34e18f6d476e28ce5df7e96f2919445e74d08a6611');
  });

  it('ignores volatile keys at every level and does not mutate its input', () => {
    const copy = structuredClone(topology);
    const moved = structuredClone(topology);
    moved.topology.status = 'degraded';
    moved.topology.version = 9;
    moved.lans[0]!.x = 999;
    expect(canonicalHash(moved)).toBe(canonicalHash(topology));
    expect(topology).toEqual(copy);
  });

  it('changes when anything that matters changes', () => {
    const changed = structuredClone(topology);
    changed.deckies[0]!.services = ['http'];
    expect(canonicalHash(changed)).not.toBe(canonicalHash(topology));
  });

  it('escapes non-ASCII and sorts keys by code point', () => {
    expect(canonicalJson({ b: 1, a: 'é', A: [true, null] })).toBe('{"A":[true,null],"a":"\\u00e9","b":1}');
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 12 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalHash(reversed)).toBe(canonicalHash(obj));
      }),
      { numRuns: 300 },
    );
  });
});
