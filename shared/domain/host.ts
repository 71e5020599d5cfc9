import { z } from 'zod';
import { HostNetworkReport } from './agent-status';
import { HostUuid, NetworkDriver } from './decky';
import { rangeHint, tryParseRange } from './ip-range';

export const PROTOCOL_VERSION = 1;

export const hostLiveness = ['online', 'suspect', 'offline', 'never'] as const;
export type HostLiveness = (typeof hostLiveness)[number];

/** Host name as the operator types it: also a certificate SAN. */
export const HostName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/, 'host name must be 1-63 characters of letters, digits, "." and "-"');

export const HostAddress = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:-]+$/, 'address must be an IP address or a DNS name');

/**
 * What the operator chose for a worker's deckies (Hosts page, `hosts.setNetwork`); anything left
 * out defaults to what the agent reports: its driver, the interface of its default route, and
 * the whole subnet of that interface.
 */
export const HostNetworkSettings = z.strictObject({
  driver: NetworkDriver.optional(),
  interface: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'interface must be a Linux interface name (1-15 characters)')
    .optional(),
  deckyRange: z
    .string()
    .refine((t) => tryParseRange(t) !== undefined, `decky range must be ${rangeHint}`)
    .optional(),
});
export type HostNetworkSettings = z.output<typeof HostNetworkSettings>;

/** A host's network: what its agent last reported (null before its first heartbeat) and the operator's settings. */
export const HostNetwork = z.strictObject({ reported: HostNetworkReport.nullable(), settings: HostNetworkSettings });
export type HostNetwork = z.output<typeof HostNetwork>;

/** What the console shows per enrolled worker; never contains key material. */
export const HostSummary = z.strictObject({
  uuid: HostUuid,
  name: HostName,
  address: HostAddress.nullable(),
  agentPort: z.number().int().min(1).max(65535),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  liveness: z.enum(hostLiveness),
  lastHeartbeatAt: z.iso.datetime({ offset: true }).nullable(),
  lastEventsAt: z.iso.datetime({ offset: true }).nullable(),
  agentVersion: z.string().nullable(),
  deckyCount: z.number().int().nonnegative(),
  local: z.boolean(),
  enrolledAt: z.iso.datetime({ offset: true }),
  certExpiresAt: z.iso.datetime({ offset: true }).nullable(),
  network: HostNetwork.optional(),
});
export type HostSummary = z.output<typeof HostSummary>;
