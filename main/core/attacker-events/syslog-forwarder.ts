import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { AttackerEvent } from '../../../shared/domain/events';
import type { Logger } from '../../../shared/node/logger';
import { toEcs } from './event-export';
import type { EventStore } from './event-store';

/** Private enterprise number placeholder for our structured data id (RFC 5424 §7.2.2 style). */
const SD_ID = 'decnet@32473';
const BATCH = 500;

export const siemFormats = ['rfc5424', 'ecs', 'cef'] as const;
export type SiemFormat = (typeof siemFormats)[number];
export type SiemStatus = {
  target: string;
  format: SiemFormat;
  connected: boolean;
  delivered: number;
  /** Events stored but not yet handed to the collector. */
  backlog: number;
  lastError: string | null;
  lastDeliveredAt: string | null;
};
export type SyslogForwarder = Readonly<{
  /** New events were stored: deliver them (never blocks, never throws). */
  send(events: readonly AttackerEvent[]): void;
  status(): SiemStatus;
  /** Sends one test message now; resolves with the error text when the collector cannot take it. */
  test(): Promise<{ ok: boolean; error: string | null }>;
  stop(): Promise<void>;
}>;

const sdEscape = (v: string) => v.replace(/[\\"\]]/g, (c) => `\\${c}`);
const token = (v: string, max: number) => (v.replace(/[^\x21-\x7e]/g, '_') || '-').slice(0, max);
const cefEscape = (v: string) => v.replace(/[\\=]/g, (c) => `\\${c}`).replace(/[\r\n]/g, ' ');

/** One RFC 5424 line: local0.notice, MSGID = interaction kind, decky/service/src as structured data. */
export function formatRfc5424(e: AttackerEvent, host = hostname()): string {
  const sd = `[${SD_ID} id="${sdEscape(e.id)}" decky="${sdEscape(e.decky)}" service="${sdEscape(e.service)}" src="${sdEscape(e.src)}"]`;
  return `<133>1 ${e.ts} ${token(host, 255)} decnet - ${token(e.kind, 32)} ${sd} ${JSON.stringify(e.data)}`;
}

/** ArcSight CEF:0 with the usual extension keys (src, dst, duser, rt) and the decky as cs1. */
export function formatCef(e: AttackerEvent, deckyIp: (d: string) => string | undefined): string {
  const d = e.data;
  const user = typeof d.username === 'string' ? d.username : typeof d.user === 'string' ? d.user : undefined;
  const ext = [
    `rt=${Date.parse(e.ts)}`,
    e.src ? `src=${cefEscape(e.src)}` : '',
    deckyIp(e.decky) ? `dst=${deckyIp(e.decky)!}` : '',
    user ? `duser=${cefEscape(user)}` : '',
    `cs1Label=decky cs1=${cefEscape(e.decky)}`,
    `cs2Label=service cs2=${cefEscape(e.service)}`,
    `externalId=${cefEscape(e.id)}`,
    `msg=${cefEscape(JSON.stringify(d))}`,
  ].filter(Boolean);
  const hdr = (v: string) => v.replace(/[\\|]/g, (c) => `\\${c}`);
  return `CEF:0|DECNET|decnet|1|${hdr(e.kind)}|${hdr(`${e.service} ${e.kind}`)}|5|${ext.join(' ')}`;
}

/**
 * Forwards stored events to DECNET_LOG_TARGET: `tls://` (RFC 5425: octet counting over TLS, the
 * certificate checked against DECNET_LOG_CA or the system store, and the host name), `tcp://`
 * (RFC 6587 octet counting) or `udp://` (RFC 5426, one message per datagram); as RFC 5424 lines,
 * ECS JSON or CEF. The queue is the event store itself: a mark in the database holds the last
 * event handed to the collector, so an outage or a restart loses nothing and a dead collector never
 * slows ingestion (retention bounds what waits). The mark advances when a write has been handed
 * to the kernel, so delivery is at least once: a collector that dies abruptly can lose what was in
 * flight to it, nothing that was still queued.
 */
export function createSyslogForwarder(
  opts: Readonly<{
    target: string;
    format?: SiemFormat;
    caFile?: string | null;
    /** The collector's CA as PEM text (Settings), instead of a file. */
    ca?: string | null;
    store: EventStore;
    deckyIp: (decky: string) => string | undefined;
    log: Logger;
    reconnectMs?: number;
  }>,
): SyslogForwarder {
  const m = /^(tcp|tls|udp):\/\/([^:/]+):(\d{1,5})$/.exec(opts.target);
  if (!m) throw new Error(`DECNET_LOG_TARGET must look like tls://host:port, tcp://… or udp://…, got ${opts.target}`);
  const [proto, host, port] = [m[1] as 'tcp' | 'tls' | 'udp', m[2]!, Number(m[3])];
  const format = opts.format ?? 'rfc5424';
  const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined);
  const markName = `siem:${opts.target}`;
  const { store, log } = opts;
  // A new target starts at the events stored from now on, not the whole history.
  if (store.mark(markName) === 0) store.setMark(markName, store.maxSeq());
  let cursor = store.mark(markName);
  let socket: Socket | null = null;
  let connected = false;
  let busy = false;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  let delivered = 0;
  let lastError: string | null = null;
  let lastDeliveredAt: string | null = null;
  const udp = proto === 'udp' ? createSocket(isIP(host) === 6 ? 'udp6' : 'udp4') : null;
  udp?.on('error', (err) => (lastError = err.message));

  const render = (e: AttackerEvent) =>
    format === 'ecs'
      ? JSON.stringify(toEcs(e, opts.deckyIp))
      : format === 'cef'
        ? formatCef(e, opts.deckyIp)
        : formatRfc5424(e);
  const frame = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;
  const fail = (what: string, err: Error) => {
    const message = `${what}: ${err.message}`;
    if (message !== lastError) log.warn('SIEM forwarder error', { target: opts.target, err: message });
    lastError = message;
  };

  const write = (messages: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      if (udp) {
        let left = messages.length;
        if (left === 0) return resolve();
        for (const msg of messages) udp.send(msg, port, host, (err) => (err ? reject(err) : --left === 0 && resolve()));
        return;
      }
      if (!socket || !connected) return reject(new Error('not connected'));
      socket.write(messages.map(frame).join(''), (err) => (err ? reject(err) : resolve()));
    });

  const pump = (): void => {
    if (busy || stopped || (!udp && !connected)) return;
    const rows = store.after(cursor, BATCH);
    if (rows.length === 0) return;
    busy = true;
    write(rows.map((r) => render(r.event)))
      .then(() => {
        cursor = rows[rows.length - 1]!.seq;
        store.setMark(markName, cursor);
        delivered += rows.length;
        lastDeliveredAt = new Date().toISOString();
        lastError = null;
        busy = false;
        setImmediate(pump);
      })
      .catch((err: Error) => {
        busy = false;
        fail('send', err);
      });
  };

  const open = () => {
    if (stopped || socket || udp) return;
    const s =
      proto === 'tls'
        ? tlsConnect({
            host,
            port,
            ...(isIP(host) ? {} : { servername: host }),
            ...(ca ? { ca } : {}),
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
          })
        : tcpConnect({ host, port });
    socket = s;
    s.setKeepAlive(true);
    s.on(proto === 'tls' ? 'secureConnect' : 'connect', () => {
      connected = true;
      lastError = null;
      log.info('SIEM forwarder connected', { target: opts.target });
      pump();
    });
    s.on('error', (err: Error) => fail(proto === 'tls' ? 'TLS' : 'TCP', err));
    // A collector that stops sends FIN: stop writing at once so nothing more goes into a dead socket.
    s.on('end', () => s.destroy());
    s.on('close', () => {
      socket = null;
      connected = false;
      if (stopped) return;
      retry = setTimeout(open, opts.reconnectMs ?? 2000);
      retry.unref();
    });
    s.on('data', () => undefined); // collectors do not answer; drain anything they send
  };
  open();
  const timer = setInterval(pump, 1000);
  timer.unref();

  return {
    send: () => pump(),
    status: () => ({
      target: opts.target,
      format,
      connected: udp ? true : connected,
      delivered,
      backlog: Math.max(0, store.maxSeq() - cursor),
      lastError,
      lastDeliveredAt,
    }),
    async test() {
      const e: AttackerEvent = {
        id: `test-${Date.now()}`,
        ts: new Date().toISOString(),
        decky: 'decnet-test',
        service: 'ssh',
        src: '192.0.2.1',
        kind: 'test',
        data: { message: 'DECNET SIEM test event' },
      };
      try {
        await write([render(e)]);
        return { ok: true, error: null };
      } catch (err) {
        const message = lastError ?? (err as Error).message;
        return { ok: false, error: message };
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (retry) clearTimeout(retry);
      udp?.close();
      const s = socket;
      if (!s) return;
      await new Promise<void>((r) => s.end(() => r()));
      s.destroy();
    },
  };
}
