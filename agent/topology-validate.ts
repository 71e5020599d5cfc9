import type { HydratedTopology } from '../shared/domain/topology';

export type TopologyIssue = Readonly<{ code: string; message: string }>;

/**
 * Structural checks an agent runs before materialising a topology (the error-severity rules of the
 * original validator, its §7.3): one DMZ, every LAN reachable from it, every decky attached, names
 * and addresses unique, every address inside its LAN's subnet, edges naming known rows.
 */
export function validateTopology(t: HydratedTopology): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const add = (code: string, message: string): void => {
    issues.push({ code, message });
  };
  const lans = new Map(t.lans.map((l) => [l.id, l]));
  const deckyIds = new Set(t.deckies.map((d) => d.uuid));

  const dmz = t.lans.filter((l) => l.isDmz);
  if (dmz.length === 0) add('DMZ_MISSING', 'the topology has no DMZ LAN');
  if (dmz.length > 1) add('DMZ_MULTIPLE', `the topology has ${dmz.length} DMZ LANs; exactly one is allowed`);
  dupes(t.lans.map((l) => l.name)).forEach((n) => add('LAN_NAME_DUP', `LAN name "${n}" is used twice`));
  dupes(t.deckies.map((d) => d.name)).forEach((n) => add('DECKY_NAME_DUP', `decky name "${n}" is used twice`));

  const subnets = t.lans.map((l) => ({ lan: l, net: parseCidr(l.subnet) }));
  for (const { lan, net } of subnets) if (!net) add('SUBNET_MALFORMED', `LAN ${lan.name}: subnet ${lan.subnet} is malformed`);
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i]!;
      const b = subnets[j]!;
      if (a.net && b.net && overlaps(a.net, b.net)) add('SUBNET_OVERLAP', `LANs ${a.lan.name} and ${b.lan.name} have overlapping subnets`);
    }
  }

  for (const e of t.edges) {
    if (!lans.has(e.lanId)) add('EDGE_UNKNOWN_LAN', `edge ${e.id} names unknown LAN ${e.lanId}`);
    if (!deckyIds.has(e.deckyUuid)) add('EDGE_UNKNOWN_DECKY', `edge ${e.id} names unknown decky ${e.deckyUuid}`);
  }
  const used = new Map<string, string>();
  for (const d of t.deckies) {
    if (!t.edges.some((e) => e.deckyUuid === d.uuid)) add('DECKY_ORPHAN', `decky ${d.name} is attached to no LAN`);
    for (const [lanId, ip] of Object.entries(d.ipsByLan)) {
      const lan = lans.get(lanId);
      if (!lan) {
        add('IP_UNKNOWN_LAN', `decky ${d.name} has an address on unknown LAN ${lanId}`);
        continue;
      }
      const net = parseCidr(lan.subnet);
      const addr = parseIp(ip);
      if (net && addr !== null && (addr & net.mask) >>> 0 !== net.base) add('IP_OUT_OF_SUBNET', `decky ${d.name}: ${ip} is outside ${lan.name} (${lan.subnet})`);
      const key = `${lanId}/${ip}`;
      const other = used.get(key);
      if (other) add('IP_COLLISION', `deckies ${other} and ${d.name} both use ${ip} on ${lan.name}`);
      used.set(key, d.name);
    }
  }
  if (dmz.length === 1) {
    const unreachable = unreachableLans(t, dmz[0]!.id);
    unreachable.forEach((id) => add('DMZ_ORPHAN', `LAN ${lans.get(id)?.name ?? id} is not reachable from the DMZ`));
  }
  return issues;
}

/** LANs count as adjacent when one decky has edges to both. */
function unreachableLans(t: HydratedTopology, dmzId: string): string[] {
  const lansOf = new Map<string, Set<string>>();
  for (const e of t.edges) {
    const set = lansOf.get(e.deckyUuid) ?? new Set<string>();
    set.add(e.lanId);
    lansOf.set(e.deckyUuid, set);
  }
  const seen = new Set([dmzId]);
  const todo = [dmzId];
  while (todo.length) {
    const lan = todo.pop()!;
    for (const set of lansOf.values()) {
      if (!set.has(lan)) continue;
      for (const next of set) {
        if (seen.has(next)) continue;
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return t.lans.map((l) => l.id).filter((id) => !seen.has(id));
}

function dupes(names: string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(names.filter((n) => seen.has(n) || !seen.add(n)))];
}

function parseIp(ip: string): number | null {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  return (((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
}

function parseCidr(cidr: string): { base: number; mask: number } | null {
  const [ip, bits] = cidr.split('/');
  const addr = parseIp(ip ?? '');
  const n = Number(bits);
  if (addr === null || !Number.isInteger(n) || n < 0 || n > 32) return null;
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return { base: (addr & mask) >>> 0, mask };
}

function overlaps(a: { base: number; mask: number }, b: { base: number; mask: number }): boolean {
  const mask = (a.mask & b.mask) >>> 0;
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0;
}
