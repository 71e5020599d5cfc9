import { z } from 'zod';
import { serviceNames } from '../catalog/services';
import { AgentStatus } from '../domain/agent-status';
import { DecnetConfig, DeckyName, ServiceNameSchema } from '../domain/decky';
import { HydratedTopology } from '../domain/topology';
import { route } from './route';

export const AGENT_DEFAULT_PORT = 8765;
export const AGENT_BODY_LIMIT = 4 * 1024 * 1024;

const Empty = z.strictObject({});

export const DeployRequest = z.strictObject({
  config: DecnetConfig,
  /** deckyName → lifecycle row id, so the agent's deltas close exactly those rows. */
  lifecycleIds: z.record(DeckyName, z.uuid()).optional(),
  dryRun: z.boolean().optional(),
});

export const MutateRequest = z.strictObject({
  deckyId: DeckyName,
  services: z.array(ServiceNameSchema).min(1).max(serviceNames.length),
  lifecycleId: z.uuid().optional(),
  dryRun: z.boolean().optional(),
});

export const MutateAnswer = z.union([
  z.strictObject({ status: z.literal('accepted'), deckyId: DeckyName, services: z.array(ServiceNameSchema) }),
  z.strictObject({ status: z.literal('dry_run'), deckyId: DeckyName, services: z.array(ServiceNameSchema) }),
]);

export const TopologyApplyRequest = z.strictObject({
  hydrated: HydratedTopology,
  versionHash: z.string().regex(/^[0-9a-f]{64}$/, 'versionHash must be 64 lowercase hex digits'),
});

export const TopologyState = z.strictObject({
  topologyId: z.string().nullable(),
  appliedVersionHash: z.string().nullable(),
  appliedAt: z.iso.datetime({ offset: true }).nullable(),
  lastError: z.string().nullable(),
  observed: z.record(z.string(), z.boolean()),
});

/** The worker agent's HTTPS API (mTLS, master role only). */
export const agentApi = {
  health: route({
    method: 'GET',
    path: '/health',
    input: Empty,
    output: z.strictObject({ status: z.literal('ok'), version: z.string(), protocol: z.number().int() }),
  }),
  status: route({ method: 'GET', path: '/status', input: Empty, output: AgentStatus }),
  deploy: route({
    method: 'POST',
    path: '/deploy',
    input: DeployRequest,
    output: z.strictObject({ status: z.enum(['accepted', 'dry_run']), deckies: z.array(DeckyName) }),
    status: 202,
  }),
  mutate: route({ method: 'POST', path: '/mutate', input: MutateRequest, output: MutateAnswer, status: 202 }),
  teardown: route({
    method: 'POST',
    path: '/teardown',
    input: z.strictObject({ deckyId: DeckyName.optional(), lifecycleId: z.uuid().optional() }),
    output: z.strictObject({ status: z.literal('accepted'), deckies: z.array(DeckyName) }),
    status: 202,
  }),
  topologyApply: route({
    method: 'POST',
    path: '/topology/apply',
    input: TopologyApplyRequest,
    output: z.strictObject({ status: z.literal('applied'), topologyId: z.string(), versionHash: z.string() }),
    timeoutMs: 600_000,
  }),
  topologyTeardown: route({
    method: 'POST',
    path: '/topology/teardown',
    input: z.strictObject({ topologyId: z.string().min(1).max(64) }),
    output: z.strictObject({ status: z.literal('torn_down'), topologyId: z.string() }),
    timeoutMs: 300_000,
  }),
  topologyState: route({ method: 'GET', path: '/topology/state', input: Empty, output: TopologyState }),
  selfDestruct: route({
    method: 'POST',
    path: '/self-destruct',
    input: Empty,
    output: z.strictObject({ status: z.literal('accepted') }),
    status: 202,
  }),
} as const;

export type AgentApi = typeof agentApi;
