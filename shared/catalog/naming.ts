import { z } from 'zod';
import type { ArchetypeName } from './archetypes';
import type { NmapOs } from './os-fingerprints';

/**
 * Default decky names that look like an organisation's machines, not like a honeypot's
 * (`decky-01`, seen from the first scan, names the product). Per archetype, the pattern an attacker
 * expects on a corporate LAN; the analyst may give a prefix (`<prefix>-01`) or a pattern instead.
 *
 * Tokens: `{n}` the sequence number (01, 02 …), `{nnn}`/`{nnnn}` an asset-tag-like number,
 * `{dept}`, `{role}`, `{site}`, `{floor}`, `{vendor}`, `{env}` a value from the lists below. Every
 * choice is a hash of the pattern and the sequence number, so a plan previewed is the plan deployed.
 */
export const nameTokenValues = {
  dept: ['fin', 'hr', 'it', 'ops', 'mkt', 'sales', 'eng', 'legal', 'acct', 'proc'],
  role: ['app', 'web', 'db', 'file', 'bkp', 'mgmt', 'int', 'svc'],
  site: ['hq', 'dc1', 'dc2', 'br1', 'br2', 'lab'],
  floor: ['1', '2', '3', '4', '5', '6'],
  vendor: ['hp', 'canon', 'xerox', 'brother', 'ricoh', 'lexmark', 'kyocera'],
  env: ['prod', 'stg', 'dev', 'int'],
} as const;
type ListToken = keyof typeof nameTokenValues;
const numberTokens = ['n', 'nnn', 'nnnn'] as const;
const tokenNames = [...numberTokens, ...(Object.keys(nameTokenValues) as ListToken[])];

export const defaultNamePatterns = {
  deaddeck: 'srv-{role}-{n}',
  'windows-workstation': 'ws-{dept}-{nnnn}',
  'windows-server': 'srv-{role}-{n}',
  'domain-controller': 'dc{n}',
  'linux-server': 'lnx-{role}-{n}',
  'web-server': 'web-{env}-{n}',
  'database-server': 'srv-db-{n}',
  'mail-server': 'mx{n}',
  'file-server': 'fs-{dept}-{n}',
  printer: 'prn-{floor}f-{vendor}',
  'iot-device': 'cam-{site}-{nnn}',
  'industrial-control': 'plc-{site}-{n}',
  'voip-server': 'pbx-{site}-{n}',
  'monitoring-node': 'mon-{site}-{n}',
  'devops-host': 'build-{n}',
  'nosql-cluster': 'cache-{env}-{n}',
  'mssql-server': 'sql-{role}-{n}',
  'remote-desktop': 'jump-{site}-{n}',
} as const satisfies Record<ArchetypeName, string>;

/** Deckies planned from a list of services rather than an archetype. */
export const servicesNamePattern = 'srv-{role}-{n}';

const TOKEN = /\{([a-z]+)\}/g;

/** A pattern the analyst types: lower-case letters, digits, '-' and known tokens, at least one token. */
export const NamePattern = z
  .string()
  .max(40, 'a name pattern is at most 40 characters')
  .regex(/^[a-z0-9][a-z0-9{}-]*$/, 'a name pattern has lower-case letters, digits, "-" and {tokens}')
  .superRefine((p, ctx) => {
    const used = [...p.matchAll(TOKEN)].map((m) => m[1] ?? '');
    const unknown = used.filter((t) => !(tokenNames as string[]).includes(t));
    if (unknown.length)
      ctx.addIssue({
        code: 'custom',
        message: `unknown name token {${unknown[0]}}; use ${tokenNames.map((t) => `{${t}}`).join(' ')}`,
      });
    else if (used.length === 0 || /[{}]/.test(p.replace(TOKEN, '')))
      ctx.addIssue({ code: 'custom', message: 'a name pattern needs at least one {token}, e.g. ws-{dept}-{nnnn}' });
  });

/** FNV-1a of the text: pure (shared/ runs in the renderer too) and stable across releases. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
const pick = (pattern: string, seq: number, i: number, n: number) => fnv1a(`${pattern}\0${seq}\0${i}`) % n;

/** The `seq`-th name of a pattern (seq from 1): deterministic, a valid decky name (≤ 63 characters). */
export function nameFromPattern(pattern: string, seq: number): string {
  let i = 0;
  const out = pattern.replace(TOKEN, (_, token: string) => {
    i++;
    if (token === 'n') return String(seq).padStart(2, '0');
    if (token === 'nnn') return String(100 + pick(pattern, seq, i, 900));
    if (token === 'nnnn') return String(pick(pattern, seq, i, 10_000)).padStart(4, '0');
    const values: readonly string[] = nameTokenValues[token as ListToken];
    return values[pick(pattern, seq, i, values.length)] ?? token;
  });
  return out.slice(0, 63).replace(/-+$/, '');
}

/** Whether a pattern can run out of names (no sequence number in it): the planner then appends `-{n}`. */
export const patternIsBounded = (pattern: string): boolean => !pattern.includes('{n}');

/**
 * The host name a decky announces (shell prompt, NetBIOS, certificates): Windows families use
 * upper-case NetBIOS-style names of at most 15 characters; the others keep the decky's name.
 */
export function hostnameFor(name: string, os: NmapOs): string {
  return os === 'windows' || os === 'windows_server' ? name.toUpperCase().slice(0, 15).replace(/-+$/, '') : name;
}
