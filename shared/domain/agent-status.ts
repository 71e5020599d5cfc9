import { z } from 'zod';
import { DeckyConfig } from './decky';
import { LifecycleDelta } from './lifecycle';

export const serviceStates = ['running', 'starting', 'stopped', 'failed'] as const;

export const DeckyRuntimeState = z.strictObject({
  running: z.boolean(),
  restarts: z.number().int().nonnegative().default(0),
  services: z.record(z.string(), z.enum(serviceStates)),
  error: z.string().max(2000).optional(),
});
export type DeckyRuntimeState = z.output<typeof DeckyRuntimeState>;

/** What `/status` answers and what each heartbeat carries. */
export const AgentStatus = z.strictObject({
  deployed: z.boolean(),
  deckies: z.array(DeckyConfig),
  runtime: z.record(z.string(), DeckyRuntimeState),
});
export type AgentStatus = z.output<typeof AgentStatus>;

export const TopologyReport = z.strictObject({
  topologyId: z.string().nullable(),
  appliedVersionHash: z.string().nullable(),
  appliedAt: z.iso.datetime({ offset: true }).nullable(),
  lastError: z.string().max(2000).nullable(),
});
export type TopologyReport = z.output<typeof TopologyReport>;

/** `POST /swarm/heartbeat` body. The host identity in it must equal the certificate's. */
export const HeartbeatBody = z.strictObject({
  hostUuid: z.uuid(),
  agentVersion: z.string().min(1).max(64),
  protocol: z.number().int().positive(),
  status: AgentStatus,
  topology: TopologyReport,
  lifecycle: z.array(LifecycleDelta).max(10_000),
});
export type HeartbeatBody = z.output<typeof HeartbeatBody>;
