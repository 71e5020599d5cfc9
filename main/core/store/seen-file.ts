import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import type { Logger } from '../../../shared/node/logger';

/**
 * Hosts' last-seen times, kept beside master.json instead of in it. They change on every
 * heartbeat; written into the main document, each periodic flush serialised the whole fleet
 * (about 40 MB at 10,000 workers × 10 deckies: a stall of the master's event loop of 0.3–1 s every
 * interval, bench/master.bench.ts). This file holds only uuid → times (~120 B a host).
 * It is display data: a missing or damaged file starts empty (the hosts' own last-seen fields in
 * master.json stay the fallback) and a failed write is logged, never refused.
 */
export type SeenTimes = { heartbeatAt?: string; eventsAt?: string; agentVersion?: string };

export type SeenFile = Readonly<{
  read(): Promise<Map<string, SeenTimes>>;
  write(seen: ReadonlyMap<string, SeenTimes>): Promise<void>;
}>;

const Times = z
  .object({ heartbeatAt: z.string().max(64), eventsAt: z.string().max(64), agentVersion: z.string().max(128) })
  .partial()
  .strict();
const Doc = z.object({ version: z.literal(1), hosts: z.record(z.string().max(64), Times) }).strict();

export function seenFile(path: string, log: Logger): SeenFile {
  return {
    async read() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          log.warn('cannot read hosts last-seen file; starting without it', { path, error: (err as Error).message });
        return new Map();
      }
      try {
        return new Map(Object.entries(Doc.parse(JSON.parse(text)).hosts));
      } catch (err) {
        log.warn('hosts last-seen file is damaged; starting without it', { path, error: (err as Error).message });
        return new Map();
      }
    },
    write: (seen) => writeFileAtomic(path, JSON.stringify({ version: 1, hosts: Object.fromEntries(seen) }), 0o600),
  };
}
