import { describe, expect, it } from 'vitest';
import { agentApi, DeployRequest, MutateRequest } from '../../../shared/protocol/agent-api';
import type { RouteTable } from '../../../shared/protocol/route';
import { JOIN_TOKEN_PATTERN, swarmApi } from '../../../shared/protocol/swarm-api';
import { makeDecky } from '../../fixtures/decky';

function checkTable(table: RouteTable): void {
  const keys = Object.values(table).map((r) => `${r.method} ${r.path}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const r of Object.values(table)) {
    expect(r.path).toMatch(/^\/[a-z/-]+$/);
    expect(r.timeoutMs).toBeGreaterThan(0);
    if (r.method === 'GET') expect(r.input.safeParse({}).success).toBe(true);
  }
}

describe('agent API route table', () => {
  it('has unique routes and the design paths', () => {
    checkTable(agentApi);
    expect(Object.values(agentApi).map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/health',
        '/status',
        '/deploy',
        '/mutate',
        '/teardown',
        '/topology/apply',
        '/topology/teardown',
        '/topology/state',
        '/self-destruct',
      ]),
    );
  });

  it('answers 202 for background work and uses the design timeouts', () => {
    expect(agentApi.deploy.status).toBe(202);
    expect(agentApi.mutate.status).toBe(202);
    expect(agentApi.selfDestruct.status).toBe(202);
    expect(agentApi.deploy.timeoutMs).toBe(15_000);
    expect(agentApi.topologyApply.timeoutMs).toBe(600_000);
    expect(agentApi.topologyTeardown.timeoutMs).toBe(300_000);
    expect(agentApi.topologyState.timeoutMs).toBe(15_000);
  });

  it('validates deploy and mutate bodies', () => {
    expect(DeployRequest.safeParse({ config: { mode: 'swarm', deckies: [makeDecky()] } }).success).toBe(true);
    expect(DeployRequest.safeParse({ config: { mode: 'swarm', deckies: [makeDecky()] }, extra: 1 }).success).toBe(
      false,
    );
    expect(MutateRequest.safeParse({ deckyId: 'decky-01', services: ['ssh'], dryRun: true }).success).toBe(true);
    expect(MutateRequest.safeParse({ deckyId: 'decky-01', services: ['nope'] }).success).toBe(false);
  });
});

describe('swarm API route table', () => {
  it('has unique routes under /swarm', () => {
    checkTable(swarmApi);
    for (const r of Object.values(swarmApi)) expect(r.path.startsWith('/swarm/')).toBe(true);
  });

  it('recognises the join token format', () => {
    expect(JOIN_TOKEN_PATTERN.test(`DECNET1-${'a'.repeat(64)}-${'B'.repeat(43)}`)).toBe(true);
    expect(JOIN_TOKEN_PATTERN.test(`DECNET1-${'a'.repeat(63)}-${'B'.repeat(43)}`)).toBe(false);
    expect(JOIN_TOKEN_PATTERN.test(`DECNET2-${'a'.repeat(64)}-${'B'.repeat(43)}`)).toBe(false);
  });
});
