import { z } from 'zod';
import { DeckyConfig, NetworkDriver } from './decky';
import { LifecycleDelta } from './lifecycle';

export const serviceStates = ['running', 'starting', 'stopped', 'failed'] as const;

export const DeckyRuntimeState = z.strictObject({
  running: z.boolean(),
  restarts: z.number().int().nonnegative().default(0),
  services: z.record(z.string(), z.enum(serviceStates)),
  error: z.string().max(2000).optional(),
  /** The address the decky really has on the worker's LAN when the agent re-localised it (macvlan/ipvlan). */
  ip: z.ipv4().optional(),
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

/**
 * The worker's network as its agent sees it (heartbeat and enrollment): the master keeps it on the
 * host record, plans decky addresses in that subnet and dials the agent on `listenPort`. Optional
 * everywhere so older agents still validate.
 */
export const HostNetworkReport = z.strictObject({
  driver: NetworkDriver,
  interface: z.string().min(1).max(15).optional(),
  address: z.ipv4().optional(),
  subnet: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'subnet must be an IPv4 CIDR')
    .optional(),
  gateway: z.ipv4().optional(),
  listenPort: z.number().int().min(1).max(65535).optional(),
});
export type HostNetworkReport = z.output<typeof HostNetworkReport>;

/** `POST /swarm/heartbeat` body. The host identity in it must equal the certificate's. */
export const HeartbeatBody = z.strictObject({
  hostUuid: z.uuid(),
  agentVersion: z.string().min(1).max(64),
  protocol: z.number().int().positive(),
  status: AgentStatus,
  topology: TopologyReport,
  lifecycle: z.array(LifecycleDelta).max(10_000),
  network: HostNetworkReport.optional(),
});
export type HeartbeatBody = z.output<typeof HeartbeatBody>;
