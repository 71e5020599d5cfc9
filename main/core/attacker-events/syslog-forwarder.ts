import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { AttackerEvent } from '../../../shared/domain/events';
import type { Logger } from '../../../shared/node/logger';

const MAX_QUEUE = 10_000;
/** Private enterprise number placeholder for our structured data id (RFC 5424 §7.2.2 style). */
const SD_ID = 'decnet@32473';

export type SyslogForwarder = Readonly<{ send(events: readonly AttackerEvent[]): void; stop(): Promise<void> }>;

const sdEscape = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
const token = (v: string, max: number) => (v.replace(/[^\x21-\x7e]/g, '_') || '-').slice(0, max);

/** One RFC 5424 line: local0.notice, MSGID = interaction kind, decky/service/src as structured data. */
export function formatRfc5424(e: AttackerEvent, host = hostname()): string {
  const sd = `[${SD_ID} id="${sdEscape(e.id)}" decky="${sdEscape(e.decky)}" service="${sdEscape(e.service)}" src="${sdEscape(e.src)}"]`;
  return `<133>1 ${e.ts} ${token(host, 255)} decnet - ${token(e.kind, 32)} ${sd} ${JSON.stringify(e.data)}`;
}

/**
 * Forwards captured events to DECNET_LOG_TARGET (tcp://host:port) with RFC 6587 octet counting.
 * Best effort: a bounded queue (oldest dropped, logged) and reconnects, so a dead SIEM never
 * slows the heartbeat path; the JSONL segments stay the record of truth.
 */
export function createSyslogForwarder(
  opts: Readonly<{ target: string; log: Logger; reconnectMs?: number }>,
): SyslogForwarder {
  const m = /^tcp:\/\/([^:/]+):(\d{1,5})$/.exec(opts.target);
  if (!m) throw new Error(`DECNET_LOG_TARGET must look like tcp://host:port, got ${opts.target}`);
  const [host, port] = [m[1]!, Number(m[2])];
  const queue: string[] = [];
  let socket: Socket | null = null;
  let connected = false;
  let stopped = false;
  let dropped = 0;
  let retry: NodeJS.Timeout | null = null;

  const flush = () => {
    if (!socket || !connected) return;
    while (queue.length) {
      const line = queue.shift()!;
      socket.write(`${Buffer.byteLength(line)} ${line}`);
    }
  };
  const open = () => {
    if (stopped || socket) return;
    const s = connect({ host, port });
    socket = s;
    s.setKeepAlive(true);
    s.on('connect', () => {
      connected = true;
      opts.log.info('syslog forwarder connected', { target: opts.target });
      flush();
    });
    s.on('error', (err) => opts.log.warn('syslog forwarder error', { target: opts.target, err }));
    s.on('close', () => {
      socket = null;
      connected = false;
      if (stopped) return;
      retry = setTimeout(open, opts.reconnectMs ?? 5000);
      retry.unref();
    });
  };
  open();

  return {
    send(events) {
      for (const e of events) queue.push(formatRfc5424(e));
      if (queue.length > MAX_QUEUE) {
        dropped += queue.length - MAX_QUEUE;
        queue.splice(0, queue.length - MAX_QUEUE);
        opts.log.warn('syslog forwarder queue full: oldest events dropped', { dropped });
      }
      flush();
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const s = socket;
      if (!s) return;
      await new Promise<void>((r) => s.end(() => r()));
      s.destroy();
    },
  };
}
