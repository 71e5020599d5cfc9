import { parseArgs } from 'node:util';
import { AppError } from '../../shared/errors';
import { ipcCommands } from '../../shared/ipc/contract';
import type { AttackerEvent } from '../../shared/domain/events';
import { callConsole, resolveConnection, type Connection } from './console-client';
import { UsageError, validateInput } from './flags';

/**
 * `decnet-master events tail`: follows the captured attacker events of a running console, like
 * `tail -f`. It polls the contract's `events.list` (the same command the Events page uses) rather
 * than a stream of its own, so it needs nothing the contract does not already offer.
 *
 * Workers' clocks differ, so an event may arrive with a `ts` a little older than one already
 * printed: each poll asks from LOOKBACK_MS before the newest `ts` seen and drops the ids it has
 * printed, remembering only the ids inside that window (bounded memory however long it runs).
 */
export const LOOKBACK_MS = 60_000;
const PAGE = 5000;

export type TailOptions = Readonly<{
  lines: number;
  intervalMs: number;
  decky?: string | undefined;
  service?: string | undefined;
  json: boolean;
  /** Stop after printing this many events (for scripts); undefined = follow until interrupted. */
  count?: number | undefined;
  signal?: AbortSignal;
}>;

export function formatEventLine(e: AttackerEvent): string {
  const data = Object.keys(e.data).length ? `  ${JSON.stringify(e.data)}` : '';
  return `${e.ts}  ${e.src || '-'}  ${e.decky}/${e.service}  ${e.kind}${data}`;
}

export async function tailEvents(conn: Connection, o: TailOptions, print: (line: string) => void): Promise<void> {
  const seen = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  let printed = 0;
  let first = true;
  const filter = { ...(o.decky ? { decky: o.decky } : {}), ...(o.service ? { service: o.service } : {}) };
  while (!o.signal?.aborted) {
    const since = Number.isFinite(newest) ? { since: new Date(newest - LOOKBACK_MS).toISOString() } : {};
    const r = await callConsole(conn, 'events.list', {
      ...filter,
      ...since,
      limit: PAGE,
    });
    if (!r.ok) throw new AppError(r.error.code, r.error.message);
    const page = ipcCommands['events.list'].output.parse(r.value).events;
    // The first page marks every event of the lookback window as seen, printing only the newest
    // `lines`; otherwise an older event of that window would come out later as if it were new.
    // events.list answers newest first; a terminal reads oldest first.
    const fresh = page.filter((e) => !seen.has(e.id)).reverse();
    const shown = first ? fresh.slice(Math.max(0, fresh.length - o.lines)) : fresh;
    for (const e of fresh) {
      const t = Date.parse(e.ts);
      seen.set(e.id, t);
      if (t > newest) newest = t;
    }
    for (const e of shown) {
      print(o.json ? JSON.stringify(e) : formatEventLine(e));
      if (o.count !== undefined && ++printed >= o.count) return;
    }
    for (const [id, t] of seen) if (t < newest - LOOKBACK_MS) seen.delete(id);
    first = false;
    await wait(o.intervalMs, o.signal);
  }
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

export const tailHelp = (
  connectionHelp: string,
): string => `usage: decnet-master events tail [--lines N] [--interval S] [--decky NAME] [--service NAME] [--count N]

Prints the newest captured attacker events, then follows new ones as they arrive (like tail -f),
oldest first: time, source, decky/service, kind, data. Ctrl-C stops it.
  --lines N         events to show before following (default 10)
  --interval S      seconds between polls of the console (default 2, 0.2-60)
  --decky NAME      only this decky's events
  --service NAME    only this service's events
  --count N         exit after printing N events (default: follow until interrupted)
  --json            one JSON event per line (NDJSON)

${connectionHelp}`;

function numberFlag(
  name: string,
  raw: string | undefined,
  dflt: number,
  min: number,
  max: number,
  int: boolean,
): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n)))
    throw new UsageError(
      `--${name} must be ${int ? 'an integer' : 'a number'} between ${min} and ${max}, got "${raw}"`,
    );
  return n;
}

/** Parses the flags (one line naming a bad one, exit 2) and follows until interrupted or --count. */
export async function tailCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      console: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      lines: { type: 'string' },
      interval: { type: 'string' },
      decky: { type: 'string' },
      service: { type: 'string' },
      count: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]!}"`);
  // The contract's own check of --decky/--service, phrased with the flag names.
  validateInput(ipcCommands['events.list'].input, { decky: values.decky, service: values.service });
  const lines = numberFlag('lines', values.lines, 10, 0, 5000, true);
  const intervalS = numberFlag('interval', values.interval, 2, 0.2, 60, false);
  const count = values.count === undefined ? undefined : numberFlag('count', values.count, 1, 1, 1_000_000, true);
  const conn = await resolveConnection({ console: values.console, token: values.token }, process.env);
  if (!conn.token)
    throw new UsageError(
      `no session token for ${conn.url}: run decnet-master login, or pass --token / DECNET_CONSOLE_TOKEN`,
    );
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  await tailEvents(
    conn,
    {
      lines,
      intervalMs: intervalS * 1000,
      decky: values.decky,
      service: values.service,
      json: values.json ?? false,
      count,
      signal: stop.signal,
    },
    out,
  );
  return 0;
}
