import { readFileSync } from 'node:fs';
import net from 'node:net';
import { run } from '../services/service-harness';

export const serviceProbesPath = '/usr/share/nmap/nmap-service-probes';

export type NmapProbe = Readonly<{ name: string; payload: Buffer; rarity: number }>;

const escapes: Record<string, number> = { r: 13, n: 10, t: 9, '0': 0, a: 7, f: 12, v: 11, '\\': 92, '|': 124 };

/** nmap's `q|...|` probe strings: C-style escapes (\r \n \0 \xHH), everything else literal. */
function decode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const n = s[++i]!;
    if (n === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(escapes[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(out);
}

/** The TCP probes nmap `-sV --version-intensity <n>` may send (NULL first, then by rarity). */
export function tcpProbes(intensity: number): NmapProbe[] {
  const probes: { name: string; payload: Buffer; rarity: number }[] = [];
  for (const line of readFileSync(serviceProbesPath, 'latin1').split('\n')) {
    const p = /^Probe TCP (\S+) q\|(.*)\|/.exec(line);
    if (p) probes.push({ name: p[1]!, payload: decode(p[2]!), rarity: 1 });
    const r = /^rarity (\d+)/.exec(line);
    if (r && probes.length) probes[probes.length - 1]!.rarity = Number(r[1]);
  }
  return probes.filter((p) => p.name === 'NULL' || p.rarity <= intensity);
}

const limits = { idleMs: 600, totalMs: 4_000, maxBytes: 16 * 1024 } as const;

/** Sends one probe (after the greeting arrives or a short wait) and returns all bytes received. */
export function probeAnswer(host: string, port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let idle: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(idle);
      clearTimeout(total);
      s.destroy();
      resolve(buf);
    };
    const total = setTimeout(done, limits.totalMs);
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(done, limits.idleMs);
    };
    s.on('connect', () => {
      // nmap waits for the NULL probe's answer (the greeting) before others on a new connection
      // only for NULL itself; other probes are sent at once.
      if (payload.length) s.write(payload);
      arm();
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, limits.maxBytes);
      arm();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

/** The `-sV` line for one port, e.g. `143/tcp open  imap    Dovecot imapd`. */
export function portLine(nmapOut: string, port: number): string {
  return (nmapOut.split('\n').find((l) => l.startsWith(`${port}/tcp`)) ?? '').replace(/\s+/g, ' ').trim();
}

/** `nmap -sV` (intensity 7) of one TCP port of `ip`: its `portLine`. */
export async function nmapServiceLine(ip: string, port: number): Promise<string> {
  const out = await run('nmap', ['-Pn', '-n', '-sV', '--version-intensity', '7', `-p${port}`, ip], {
    timeoutMs: 120_000,
  });
  return portLine(out.stdout, port);
}
