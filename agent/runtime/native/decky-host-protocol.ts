import { z } from 'zod';
import { DeckyConfig, ServiceNameSchema } from '../../../shared/domain/decky';
import { AttackerEvent } from '../../../shared/domain/events';

/**
 * Control protocol (v3) between the native runtime (parent) and a decky host process (child,
 * `node out/agent/decky-host.js`, spawned detached in its own session). Messages are JSON lines
 * on the child's control socket `<hosts>/<id>.sock` (decky-host-channel.ts), NOT a node IPC
 * channel: the child must outlive the agent, and a restarted agent re-attaches through the socket.
 * One child hosts several deckies so they share the Node baseline (~70 MiB per process).
 *
 *   child  → parent {type:'hello', id, pid, startedAt, deckies:[{start, ready}]}   first line of
 *                                                               every connection: what it hosts
 *   parent → child  {type:'ack', ids}                           events the agent has on disk: the
 *                                                               child drops them from its spool
 *
 *   parent → child  {type:'start', decky, dataDir, portMap?, netns?}  one per decky; a second start for
 *                                                               a hosted name replaces that decky
 *   child  → parent {type:'ready', name, services:{svc:'running'|'failed'}, errors:{svc:msg}, bound}
 *   child  → parent {type:'event', event: AttackerEvent}       each captured interaction (event.decky)
 *   parent → child  {type:'stop', name}                         child closes that decky's services,
 *   child  → parent {type:'stopped', name}                      … and says so (also for unknown names)
 *   parent → child  {type:'stop'}                               child closes every decky, replies
 *   child  → parent {type:'stopped', name} …, {type:'stopped'}  per decky then once bare, exits 0
 *   child  → parent {type:'fatal', message}                     unusable first message; child exits 1
 *
 * A decky whose start throws (data dir unusable…) is answered with a 'ready' listing every service
 * failed, so one bad decky never takes its neighbours down. The child keeps serving when the agent
 * goes away: events wait in its spool (`<hosts>/<id>.events.jsonl`) until an agent acks them.
 */

/** Catalogue port (as a string key, JSON objects have string keys) → port actually bound. */
export const PortMap = z.record(
  z.string().regex(/^\d{1,5}$/, 'portMap keys are catalogue port numbers'),
  z.number().int().min(0).max(65535),
);

export const StartMessage = z.strictObject({
  type: z.literal('start'),
  decky: DeckyConfig,
  /** This decky's persistent data directory (SSH host key…), created if missing. */
  dataDir: z.string().min(1),
  portMap: PortMap.optional(),
  /** The decky's network namespace (macvlan/ipvlan drivers): its sockets are created there by a binder. */
  netns: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'netns must be a namespace name')
    .optional(),
});
export type StartMessage = z.output<typeof StartMessage>;
export type StartMessageInput = z.input<typeof StartMessage>;

export const StopMessage = z.strictObject({ type: z.literal('stop'), name: z.string().min(1).optional() });
export type StopMessage = z.output<typeof StopMessage>;

export const AckMessage = z.strictObject({
  type: z.literal('ack'),
  ids: z.array(z.string().min(1).max(64)).max(10_000),
});
export type AckMessage = z.output<typeof AckMessage>;

export const ParentMessage = z.discriminatedUnion('type', [StartMessage, StopMessage, AckMessage]);
export type ParentMessage = z.output<typeof ParentMessage>;

export const serviceStates = ['running', 'failed'] as const;
export const ServiceRunState = z.enum(serviceStates);
export type ServiceRunState = z.output<typeof ServiceRunState>;

export const ReadyMessage = z.strictObject({
  type: z.literal('ready'),
  /** The decky this answers (the start message's decky.name). */
  name: z.string().min(1),
  services: z.partialRecord(ServiceNameSchema, ServiceRunState),
  /** One line per failed service, e.g. "port 22 on 127.0.1.5 is in use" or "not implemented". */
  errors: z.partialRecord(ServiceNameSchema, z.string()),
  /** Ports each running service bound, `22/tcp` style. */
  bound: z.partialRecord(ServiceNameSchema, z.array(z.string())).optional(),
});
export type ReadyMessage = z.output<typeof ReadyMessage>;

export const EventMessage = z.strictObject({ type: z.literal('event'), event: AttackerEvent });
export type EventMessage = z.output<typeof EventMessage>;

/** With a name: that decky is stopped; without: every decky is, and the child exits. */
export const StoppedMessage = z.strictObject({ type: z.literal('stopped'), name: z.string().min(1).optional() });
export type StoppedMessage = z.output<typeof StoppedMessage>;

export const FatalMessage = z.strictObject({ type: z.literal('fatal'), message: z.string() });
export type FatalMessage = z.output<typeof FatalMessage>;

/** What a host process hosts, sent first on every connection so a restarted agent can adopt it. */
export const HelloMessage = z.strictObject({
  type: z.literal('hello'),
  id: z.string().regex(/^[0-9a-f]{16}$/),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  deckies: z.array(z.strictObject({ start: StartMessage, ready: ReadyMessage.nullable() })).max(10_000),
});
export type HelloMessage = z.output<typeof HelloMessage>;

export const ChildMessage = z.discriminatedUnion('type', [
  HelloMessage,
  ReadyMessage,
  EventMessage,
  StoppedMessage,
  FatalMessage,
]);
export type ChildMessage = z.output<typeof ChildMessage>;

/** The error text for a service the agent has no module for yet. */
export const notImplemented = 'not implemented';
