import { z } from 'zod';
import { HeartbeatBody } from '../domain/agent-status';
import { ArtifactUpload } from '../domain/artifact';
import { AttackerEvent } from '../domain/events';
import { HostAddress, HostName } from '../domain/host';
import { route } from './route';

export const SWARM_DEFAULT_PORT = 8770;

/** `DECNET1-<ca sha256 hex>-<secret base64url>`: pins the CA and authorises one enrollment. */
export const JOIN_TOKEN_PATTERN = /^DECNET1-([0-9a-f]{64})-([A-Za-z0-9_-]{32,128})$/;
export const JoinToken = z
  .string()
  .regex(JOIN_TOKEN_PATTERN, 'join token is malformed (expected DECNET1-<ca digest>-<secret>)');

export const EnrollRequest = z.strictObject({
  token: JoinToken,
  name: HostName,
  addresses: z.array(HostAddress).max(16),
  csrPem: z.string().min(64).max(16_384),
});

export const EnrollAnswer = z.strictObject({
  hostUuid: z.uuid(),
  certPem: z.string(),
  caPem: z.string(),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The master's swarm listener. `enroll` is server-TLS + token; the rest is mTLS, role worker. */
export const swarmApi = {
  caCert: route({
    method: 'GET',
    path: '/swarm/ca',
    input: z.strictObject({}),
    output: z.strictObject({ caPem: z.string() }),
  }),
  enroll: route({ method: 'POST', path: '/swarm/enroll', input: EnrollRequest, output: EnrollAnswer }),
  heartbeat: route({
    method: 'POST',
    path: '/swarm/heartbeat',
    input: HeartbeatBody,
    output: z.strictObject({ ackedDeltaIds: z.array(z.uuid()) }),
  }),
  events: route({
    method: 'POST',
    path: '/swarm/events',
    input: z.strictObject({ events: z.array(AttackerEvent).max(5000) }),
    output: z.strictObject({ ackedIds: z.array(z.string()) }),
  }),
  /** One quarantined payload (#22); `stored` false when the master already had the hash. */
  artifact: route({
    method: 'POST',
    path: '/swarm/artifacts',
    input: ArtifactUpload,
    output: z.strictObject({ stored: z.boolean() }),
  }),
} as const;

export type SwarmApi = typeof swarmApi;
