import { readFile } from 'node:fs/promises';
import { detectHostNetwork } from './host-network';
import { runCommand } from './ip-command';

export type NetworkCheck = Readonly<{ name: string; ok: boolean; detail: string; fatal: boolean }>;

const CAP_NET_ADMIN = 12;

/** True when this process holds CAP_NET_ADMIN (effective set, /proc/self/status CapEff). */
export async function hasNetAdmin(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
}

/**
 * What the macvlan/ipvlan drivers need, each with its one-line fix: CAP_NET_ADMIN, iproute2's
 * netns support, the parent interface, the kernel's support for the link type (a probe link is
 * created on the parent and deleted at once), and arping for duplicate-address detection.
 */
export async function networkDoctorChecks(driver: 'macvlan' | 'ipvlan', parent?: string): Promise<NetworkCheck[]> {
  const checks: NetworkCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, fatal = true) =>
    void checks.push({ name, ok, detail, fatal });
  const admin = await hasNetAdmin();
  add(
    'CAP_NET_ADMIN',
    admin,
    admin
      ? 'the agent may create namespaces and links'
      : `the ${driver} driver needs CAP_NET_ADMIN: run the agent as root (the shipped systemd unit does)`,
  );
  const netns = await runCommand('ip', ['netns', 'list']);
  add(
    'network namespaces',
    netns.code === 0,
    netns.code === 0
      ? 'ip netns works'
      : `ip netns failed (${netns.stderr.trim().split('\n')[0]}); install iproute2: apt-get install iproute2`,
  );
  let iface: string | undefined;
  try {
    const host = await detectHostNetwork(parent);
    iface = host.interface;
    add(
      'parent interface',
      true,
      `${host.interface} ${host.address}/${host.prefixLen}${host.gateway ? ` via ${host.gateway}` : ''}; deckies take addresses in ${host.subnet}`,
    );
  } catch (err) {
    add('parent interface', false, `${(err as Error).message}; set DECNET_AGENT_PARENT in /etc/decnet/agent.env`);
  }
  if (iface && admin) {
    const probe = `dnchk${process.pid % 100000}`;
    const kind = driver === 'macvlan' ? ['type', 'macvlan', 'mode', 'bridge'] : ['type', 'ipvlan', 'mode', 'l2'];
    const r = await runCommand('ip', ['link', 'add', 'link', iface, 'name', probe, ...kind]);
    await runCommand('ip', ['link', 'del', probe]);
    const fix =
      driver === 'ipvlan'
        ? 'load it (modprobe ipvlan) or use DECNET_AGENT_NETWORK=macvlan'
        : 'load it (modprobe macvlan) or use DECNET_AGENT_NETWORK=ipvlan (e.g. on Wi-Fi)';
    add(
      `kernel ${driver}`,
      r.code === 0,
      r.code === 0
        ? `the kernel creates ${driver} links on ${iface}`
        : `cannot create a ${driver} link on ${iface} (${r.stderr.trim().split('\n')[0]}); ${fix}`,
    );
  }
  const arping = await runCommand('arping', ['-V']);
  const iputils = arping.code === 0 && /iputils/.test(arping.stdout + arping.stderr);
  add(
    'arping',
    iputils,
    iputils
      ? 'iputils arping probes decky addresses before they are taken'
      : 'iputils arping is missing: apt-get install iputils-arping',
    false,
  );
  return checks;
}
