import { createHash } from 'node:crypto';
import type { NmapOs } from '../../shared/catalog/os-fingerprints';
import { ip, runCommand } from './ip-command';
import { sysctlsFor } from './os-sysctls';

export type L2Driver = 'macvlan' | 'ipvlan';

/** Prefix of every namespace the agent creates, so the reaper can find them. */
export const NETNS_PREFIX = 'decnet-';

export function namespaceFor(deckyName: string): string {
  return `${NETNS_PREFIX}${deckyName}`;
}

/** Interface names are at most 15 bytes: a short hash of the namespace names the link in the worker's namespace. */
function tempLinkName(ns: string): string {
  return `dn${createHash('sha256').update(ns).digest('hex').slice(0, 10)}`;
}

export type DeckyLink = Readonly<{
  ns: string;
  driver: L2Driver;
  parent: string;
  ip: string;
  prefixLen: number;
  gateway?: string;
  os: NmapOs;
}>;

/**
 * Creates the decky's namespace with one macvlan (bridge mode: siblings, and the shim, reach each
 * other) or ipvlan L2 link on the parent, named eth0 inside, its address, a default route and
 * the persona's sysctls. Anything left over from an earlier run of the same decky is replaced; on
 * failure nothing is left behind.
 */
export async function createDeckyNamespace(link: DeckyLink): Promise<void> {
  await destroyDeckyNamespace(link.ns);
  const tmp = tempLinkName(link.ns);
  await runCommand('ip', ['link', 'del', tmp]);
  try {
    await ip('netns', 'add', link.ns);
    const kind = link.driver === 'macvlan' ? ['type', 'macvlan', 'mode', 'bridge'] : ['type', 'ipvlan', 'mode', 'l2'];
    await ip('link', 'add', 'link', link.parent, 'name', tmp, ...kind);
    await ip('link', 'set', tmp, 'netns', link.ns);
    await ip('-n', link.ns, 'link', 'set', tmp, 'name', 'eth0');
    await ip('-n', link.ns, 'addr', 'add', `${link.ip}/${link.prefixLen}`, 'dev', 'eth0');
    await ip('-n', link.ns, 'link', 'set', 'lo', 'up');
    await ip('-n', link.ns, 'link', 'set', 'eth0', 'up');
    if (link.gateway) await ip('-n', link.ns, 'route', 'add', 'default', 'via', link.gateway, 'dev', 'eth0');
    const args = Object.entries(sysctlsFor(link.os)).map(([k, v]) => `${k}=${v}`);
    const r = await runCommand('ip', ['netns', 'exec', link.ns, 'sysctl', '-q', '-w', ...args]);
    if (r.code !== 0)
      throw new Error(`cannot apply the ${link.os} sysctls in ${link.ns}: ${r.stderr.trim().split('\n')[0]}`);
  } catch (err) {
    await runCommand('ip', ['link', 'del', tmp]);
    await destroyDeckyNamespace(link.ns);
    throw err;
  }
}

/** Deleting the namespace deletes the link inside it. Unknown namespaces are a no-op. */
export async function destroyDeckyNamespace(ns: string): Promise<void> {
  await runCommand('ip', ['netns', 'del', ns]);
}

/** Every namespace this agent may have created (for the reaper and a restart's clean-up). */
export async function listDeckyNamespaces(): Promise<string[]> {
  const r = await runCommand('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

/** The MAC of a decky's eth0 (reported to the operator, and checked by tests). */
export async function deckyMac(ns: string): Promise<string | undefined> {
  const r = await runCommand('ip', ['-n', ns, '-j', 'link', 'show', 'eth0']);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as Array<{ address?: string }>)[0]?.address;
}
