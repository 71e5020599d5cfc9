import { connect, type Socket } from 'node:net';
import type { Logger } from '../../../shared/node/logger';
import { describeZodError } from '../../../shared/errors';
import type { AttackerEvent } from '../../../shared/domain/events';
import type { Clock } from '../../clock';
import { type LineChannel, lineChannel } from '../native/decky-host-channel';
import { ChildMessage, type ParentMessage, type ReadyMessage } from '../native/decky-host-protocol';

const ACK_DELAY_MS = 20;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

/** The agent's end of one service container's control socket (the decky-host protocol). */
export type ContainerLink = Readonly<{
  connected: () => boolean;
  /** What the container's decky host last reported: null while it is not connected or not started. */
  ready: () => ReadyMessage | null;
  /** Times the container's process was seen starting again after the first (engine restarts). */
  restarts: () => number;
  /** Resolves with the first ready report, rejects at the deadline with `what` in the message. */
  waitReady: (timeoutMs: number) => Promise<ReadyMessage>;
  close: () => void;
}>;

export type ContainerLinkOptions = Readonly<{
  socketPath: string;
  /** The decky this container hosts (its ready report names it) and its one service. */
  decky: string;
  service: string;
  onEvent: (e: AttackerEvent) => void;
  flushEvents: () => Promise<void>;
  clock: Clock;
  log: Logger;
}>;

/**
 * Connects (and reconnects, for as long as it is open) to a container's decky host: events it
 * sends go to the agent's spool and are acked once that spool has them on disk, so a container
 * keeps what the agent has not stored across agent restarts. The socket may not exist yet (the
 * container is starting) or go away (the engine restarts it): both are retried with backoff.
 */
export function createContainerLink(o: ContainerLinkOptions): ContainerLink {
  let socket: Socket | null = null;
  let channel: LineChannel | null = null;
  let closed = false;
  let ready: ReadyMessage | null = null;
  let startedAt: string | null = null;
  let restarts = 0;
  let backoff = RETRY_MIN_MS;
  let cancelRetry: (() => void) | null = null;
  let cancelAck: (() => void) | null = null;
  let unacked: string[] = [];
  const waiters = new Set<(r: ReadyMessage) => void>();

  const setReady = (r: ReadyMessage | null) => {
    ready = r;
    if (r) for (const w of waiters) w(r);
  };

  const sendAcks = async () => {
    cancelAck?.();
    cancelAck = null;
    const ids = unacked;
    unacked = [];
    if (ids.length === 0) return;
    await o.flushEvents();
    for (let i = 0; i < ids.length; i += 10_000)
      channel?.send({ type: 'ack', ids: ids.slice(i, i + 10_000) } satisfies ParentMessage);
  };

  const onMessage = (raw: unknown) => {
    const parsed = ChildMessage.safeParse(raw);
    if (!parsed.success)
      return o.log.warn('bad message from a decky container', { error: describeZodError(parsed.error) });
    const msg = parsed.data;
    if (msg.type === 'hello') {
      if (startedAt !== null && msg.startedAt !== startedAt) restarts++;
      startedAt = msg.startedAt;
      setReady(msg.deckies.find((d) => d.start.decky.name === o.decky)?.ready ?? null);
    } else if (msg.type === 'ready') {
      if (msg.name === o.decky) setReady(msg);
    } else if (msg.type === 'event') {
      o.onEvent(msg.event);
      unacked.push(msg.event.id);
      cancelAck ??= o.clock.setTimer(() => void sendAcks(), ACK_DELAY_MS);
    } else if (msg.type === 'stopped') {
      if (msg.name === undefined || msg.name === o.decky) setReady(null);
    } else {
      o.log.error('a decky container refused its start', { decky: o.decky, message: msg.message });
    }
  };

  const dial = () => {
    cancelRetry = null;
    if (closed) return;
    const s = connect(o.socketPath);
    socket = s;
    s.once('connect', () => {
      backoff = RETRY_MIN_MS;
      channel = lineChannel(s, {
        message: onMessage,
        bad: (why) => o.log.warn('dropping a decky container connection', { decky: o.decky, why }),
      });
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      if (socket === s) {
        socket = null;
        channel = null;
        ready = null;
      }
      if (closed) return;
      cancelRetry = o.clock.setTimer(dial, backoff);
      backoff = Math.min(backoff * 2, RETRY_MAX_MS);
    });
  };
  dial();

  return {
    connected: () => channel !== null,
    ready: () => ready,
    restarts: () => restarts,
    waitReady: (timeoutMs) =>
      ready
        ? Promise.resolve(ready)
        : new Promise<ReadyMessage>((resolve, reject) => {
            const done = (r: ReadyMessage) => {
              cancel();
              waiters.delete(done);
              resolve(r);
            };
            const cancel = o.clock.setTimer(() => {
              waiters.delete(done);
              reject(new Error(`decky ${o.decky}: ${o.service} did not report ready within ${timeoutMs / 1000} s`));
            }, timeoutMs);
            waiters.add(done);
          }),
    close: () => {
      closed = true;
      cancelRetry?.();
      void sendAcks().finally(() => socket?.destroy());
    },
  };
}
