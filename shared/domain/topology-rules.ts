import type { z } from 'zod';
// The topology rules, once: the master checks a draft before storing it and the agent checks the
// hydrated topology before materialising it, with the same codes and messages.
import { isServiceName } from '../catalog/services';
import { AppError, quoteValue } from '../errors';
import { intToIp, ipToInt } from './ip-range';
import type { TopologyDecky, TopologyEdge, TopologyLan } from './topology';

/** What the rules read: a draft (console) and a hydrated topology (agent) both are one. */
export type TopologyShape = Readonly<{
  lans: readonly z.output<typeof TopologyLan>[];
  deckies: readonly z.output<typeof TopologyDecky>[];
  edges: readonly z.output<typeof TopologyEdge>[];
}>;
export type TopologyIssue = Readonly<{ code: string; message: string }>;

type Cidr = { base: number; size: number; text: string };

function parseCidr(text: string): Cidr | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return null;
  const size = 2 ** (32 - bits);
  const addr = ipToInt(octets.join('.'));
  if (addr % size !== 0) return null;
  return { base: addr, size, text };
}

/**
 * Topology rules (the original's validator, §7.3): exactly one DMZ, every LAN reachable from it,
 * valid non-overlapping subnets, unique names, every decky on at least one LAN, each decky IP inside
 * its LAN and unique there, known services. Returns every issue, not just the first.
 */
export function topologyIssues(d: TopologyShape): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const add = (code: string, message: string) => issues.push({ code, message });
  const dmz = d.lans.filter((l) => l.isDmz);
  if (dmz.length === 0) add('DMZ_MISSING', 'exactly one LAN must be the DMZ; none is');
  if (dmz.length > 1)
    add('DMZ_MULTIPLE', `exactly one LAN must be the DMZ; ${dmz.map((l) => l.name).join(', ')} all are`);

  const lans = new Map<string, { name: string; cidr: Cidr | null }>();
  const lanNames = new Set<string>();
  for (const lan of d.lans) {
    if (lans.has(lan.id)) add('LAN_ID_DUP', `LAN id ${lan.id} appears twice`);
    if (lanNames.has(lan.name)) add('LAN_NAME_DUP', `LAN name ${lan.name} appears twice`);
    lanNames.add(lan.name);
    const cidr = parseCidr(lan.subnet);
    if (!cidr)
      add('SUBNET_MALFORMED', `LAN ${lan.name}: ${lan.subnet} is not a valid network (address/prefix, host bits zero)`);
    lans.set(lan.id, { name: lan.name, cidr });
  }
  const cidrs = [...lans.values()].filter((l) => l.cidr);
  for (let i = 0; i < cidrs.length; i++) {
    for (let j = i + 1; j < cidrs.length; j++) {
      const a = cidrs[i]!.cidr!;
      const b = cidrs[j]!.cidr!;
      if (a.base < b.base + b.size && b.base < a.base + a.size)
        add('SUBNET_OVERLAP', `LAN ${cidrs[i]!.name} (${a.text}) overlaps LAN ${cidrs[j]!.name} (${b.text})`);
    }
  }

  const deckies = new Map<string, string>();
  const deckyNames = new Set<string>();
  for (const dk of d.deckies) {
    if (deckies.has(dk.uuid)) add('DECKY_ID_DUP', `decky id ${dk.uuid} appears twice`);
    if (deckyNames.has(dk.name)) add('DECKY_NAME_DUP', `decky name ${dk.name} appears twice`);
    deckyNames.add(dk.name);
    deckies.set(dk.uuid, dk.name);
    for (const s of dk.services)
      if (!isServiceName(s)) add('UNKNOWN_SERVICE', `decky ${dk.name}: unknown service ${quoteValue(s)}`);
    for (const key of Object.keys(dk.serviceConfig)) {
      if (!(dk.services as string[]).includes(key))
        add('SERVICE_CFG_UNDECLARED', `decky ${dk.name}: serviceConfig names ${key}, which is not among its services`);
    }
  }

  const edgesOf = new Map<string, Set<string>>();
  for (const e of d.edges) {
    if (!deckies.has(e.deckyUuid)) add('EDGE_UNKNOWN_DECKY', `edge ${e.id} names unknown decky ${e.deckyUuid}`);
    if (!lans.has(e.lanId)) add('EDGE_UNKNOWN_LAN', `edge ${e.id} names unknown LAN ${e.lanId}`);
    const set = edgesOf.get(e.deckyUuid) ?? new Set<string>();
    set.add(e.lanId);
    edgesOf.set(e.deckyUuid, set);
  }

  const usedIps = new Map<string, Map<string, string>>();
  for (const dk of d.deckies) {
    const onLans = edgesOf.get(dk.uuid);
    if (!onLans || onLans.size === 0) add('DECKY_ORPHAN', `decky ${dk.name} is not connected to any LAN (add an edge)`);
    for (const lanId of onLans ?? []) {
      if (lans.has(lanId) && !dk.ipsByLan[lanId])
        add('IP_MISSING', `decky ${dk.name} is on LAN ${lans.get(lanId)!.name} but has no IP there`);
    }
    for (const [lanId, ip] of Object.entries(dk.ipsByLan)) {
      const lan = lans.get(lanId);
      if (!lan) {
        add('IP_UNKNOWN_LAN', `decky ${dk.name} has an IP on unknown LAN ${lanId}`);
        continue;
      }
      if (!onLans?.has(lanId))
        add('IP_WITHOUT_EDGE', `decky ${dk.name} has an IP on LAN ${lan.name} but no edge to it`);
      if (lan.cidr) {
        const n = ipToInt(ip);
        if (n < lan.cidr.base || n >= lan.cidr.base + lan.cidr.size)
          add('IP_OUT_OF_SUBNET', `decky ${dk.name}: ${ip} is outside LAN ${lan.name} (${lan.cidr.text})`);
        else if (lan.cidr.size > 2 && (n === lan.cidr.base || n === lan.cidr.base + lan.cidr.size - 1)) {
          add(
            'IP_RESERVED',
            `decky ${dk.name}: ${ip} is the network or broadcast address of ${lan.cidr.text} (first usable ${intToIp(lan.cidr.base + 1)})`,
          );
        }
      }
      const perLan = usedIps.get(lanId) ?? new Map<string, string>();
      const other = perLan.get(ip);
      if (other) add('IP_COLLISION', `decky ${dk.name} and decky ${other} both use ${ip} on LAN ${lan.name}`);
      perLan.set(ip, dk.name);
      usedIps.set(lanId, perLan);
    }
  }

  // DMZ reachability: two LANs are adjacent when one decky has edges to both.
  if (dmz.length === 1) {
    const adj = new Map<string, Set<string>>();
    for (const set of edgesOf.values())
      for (const a of set) for (const b of set) if (a !== b) adj.set(a, (adj.get(a) ?? new Set()).add(b));
    const seen = new Set([dmz[0]!.id]);
    const queue = [dmz[0]!.id];
    while (queue.length) {
      for (const n of adj.get(queue.shift()!) ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        queue.push(n);
      }
    }
    for (const lan of d.lans)
      if (!seen.has(lan.id)) add('DMZ_ORPHAN', `LAN ${lan.name} cannot be reached from the DMZ (no decky bridges it)`);
  }
  return issues;
}

/** INVALID_INPUT listing every issue: "<n> topology validation error(s): [CODE] msg; …". */
export function assertValidTopology(d: TopologyShape): void {
  const issues = topologyIssues(d);
  if (issues.length === 0) return;
  throw new AppError(
    'INVALID_INPUT',
    `${issues.length} topology validation error(s): ${issues.map((i) => `[${i.code}] ${i.message}`).join('; ')}`,
    { issues },
  );
}
