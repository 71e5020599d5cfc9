import { z } from 'zod';
import { DeckyName, HostUuid, ServiceConfig, ServiceNameSchema } from './decky';

const Cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'subnet must be an IPv4 CIDR');
const Id = z.string().min(1).max(64);

export const topologyStatuses = [
  'pending',
  'deploying',
  'active',
  'degraded',
  'failed',
  'tearing_down',
  'torn_down',
] as const;

export const TopologyLan = z.strictObject({
  id: Id,
  name: z.string().min(1).max(63),
  subnet: Cidr,
  isDmz: z.boolean(),
  x: z.number().optional(),
  y: z.number().optional(),
});

export const TopologyDecky = z.strictObject({
  uuid: Id,
  name: DeckyName,
  services: z.array(ServiceNameSchema).min(1),
  ipsByLan: z.record(Id, z.ipv4()),
  forwardsL3: z.boolean().default(false),
  serviceConfig: ServiceConfig.default({}),
  x: z.number().optional(),
  y: z.number().optional(),
});

export const TopologyEdge = z.strictObject({
  id: Id,
  deckyUuid: Id,
  lanId: Id,
  isBridge: z.boolean().default(false),
});

export const TopologySummary = z.strictObject({
  id: Id,
  name: z.string().min(1).max(128),
  targetHostUuid: HostUuid.nullable(),
  status: z.enum(topologyStatuses).default('pending'),
  version: z.number().int().nonnegative().default(1),
  createdAt: z.iso.datetime({ offset: true }).optional(),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
  needsResync: z.boolean().optional(),
});

/** A topology with all of its rows: the unit that is hashed, shipped and applied. */
export const HydratedTopology = z.strictObject({
  topology: TopologySummary,
  lans: z.array(TopologyLan).max(256),
  deckies: z.array(TopologyDecky).max(1024),
  edges: z.array(TopologyEdge).max(4096),
});
export type HydratedTopology = z.output<typeof HydratedTopology>;
export type HydratedTopologyInput = z.input<typeof HydratedTopology>;
