import type { z } from 'zod';
import { archetypes } from '../../../shared/catalog/archetypes';
import type { ServiceName } from '../../../shared/catalog/services';
import { DeckyConfig } from '../../../shared/domain/decky';
import type { DeployPlanRequest } from '../../../shared/ipc/contract';
import { AppError, describeZodError } from '../../../shared/errors';
import { intToIp, rangeText, type IpRange } from '../../../shared/domain/ip-range';
import { createIpAllocator, LOOPBACK_POOL } from './ip-pool';
import { choosePersona } from './persona-consistency';
import {
  defaultNamePatterns,
  hostnameFor,
  nameFromPattern,
  patternIsBounded,
  servicesNamePattern,
} from '../../../shared/catalog/naming';

export type PlanRequest = z.output<typeof DeployPlanRequest>;

/** A host the planner may place deckies on. `local` = the embedded agent (deckies get hostUuid null). */
export type PlanHost = Readonly<{
  uuid: string;
  name: string;
  local: boolean;
  deckyCount: number;
  /** A worker on the LAN (macvlan/ipvlan): its decky range and the addresses never to hand out (its own, its gateway). */
  lan?: Readonly<{ range: IpRange; exclude: readonly string[] }>;
}>;

export type FleetEntry = Readonly<{ name: string; ip: string; hostName: string | null }>;

export type PlannedDecky = Readonly<{ config: DeckyConfig; placedOn: string }>;
export type Plan = Readonly<{ deckies: PlannedDecky[]; warnings: string[] }>;

/**
 * Turns a wizard request into validated DeckyConfigs with names and IPs unique across the fleet.
 * Explicit names/IPs that collide with the fleet are CONFLICT (409); a bad request is INVALID_INPUT.
 * `targets` is the explicit host (one entry) or the live hosts to spread over, in order of preference.
 */
export function planDeploy(req: PlanRequest, fleet: readonly FleetEntry[], targets: readonly PlanHost[]): Plan {
  const warnings: string[] = [];
  if (targets.length === 0) {
    throw new AppError(
      'CONFLICT',
      'no live host to deploy to: enroll a worker (Hosts page) or start the master with its local agent',
    );
  }
  const services = resolveServices(req);
  const { distro, nmapOs, warnings: personaWarnings } = choosePersona(req.archetype, req.distro, req.serviceConfig);
  warnings.push(...personaWarnings);
  if (req.deckies && req.count !== undefined && req.count !== req.deckies.length) {
    throw new AppError(
      'INVALID_INPUT',
      `count is ${req.count} but ${req.deckies.length} deckies are named; give one or make them agree`,
    );
  }
  const count = req.deckies?.length ?? req.count ?? 1;

  const byName = new Map(fleet.map((f) => [f.name, f]));
  const byIp = new Map(fleet.map((f) => [f.ip, f]));
  const where = (f: FleetEntry) => (f.hostName ? ` on host ${f.hostName}` : '');
  const names = new Set<string>();
  const ips = new Set<string>();
  for (const d of req.deckies ?? []) {
    const clashName = byName.get(d.name);
    if (clashName)
      throw new AppError(
        'CONFLICT',
        `decky name "${d.name}" is already in the fleet${where(clashName)}; choose another name or tear it down first`,
      );
    if (names.has(d.name)) throw new AppError('INVALID_INPUT', `decky name "${d.name}" appears twice in the request`);
    names.add(d.name);
    if (!d.ip) continue;
    const clashIp = byIp.get(d.ip);
    if (clashIp)
      throw new AppError('CONFLICT', `IP ${d.ip} is already used by decky "${clashIp.name}"${where(clashIp)}`);
    if (ips.has(d.ip)) throw new AppError('INVALID_INPUT', `IP ${d.ip} appears twice in the request`);
    ips.add(d.ip);
    if (!d.ip.startsWith('127.') && targets.every((t) => !t.lan))
      warnings.push(
        `${d.name}: ${d.ip} is outside 127.0.0.0/8; the loopback network driver can only bind loopback addresses`,
      );
  }

  // One allocator per address pool: the loopback pool, or each LAN worker's decky range.
  const takenIps = new Set([...byIp.keys(), ...ips, ...targets.flatMap((t) => t.lan?.exclude ?? [])]);
  const allocators = new Map<string, () => string | null>();
  const nextIpOn = (host: PlanHost): string => {
    const key = host.lan ? host.uuid : 'loopback';
    let next = allocators.get(key);
    if (!next)
      allocators.set(
        key,
        (next = createIpAllocator(
          takenIps,
          host.lan
            ? { base: host.lan.range.first, size: host.lan.range.last - host.lan.range.first + 1 }
            : LOOPBACK_POOL,
        )),
      );
    const ip = next();
    if (ip) return ip;
    throw new AppError(
      'CONFLICT',
      host.lan
        ? `the decky range ${rangeText(host.lan.range)} of host ${host.name} is exhausted; widen it on the Hosts page`
        : `the loopback address pool ${intToIp(LOOPBACK_POOL.base)}/16 is exhausted`,
    );
  };
  if (req.namePrefix && req.namePattern)
    throw new AppError('INVALID_INPUT', 'give a name prefix or a name pattern, not both');
  const pattern =
    req.namePattern ??
    (req.namePrefix
      ? `${req.namePrefix}-{n}`
      : req.archetype
        ? defaultNamePatterns[req.archetype]
        : servicesNamePattern);
  // A pattern without {n} has finitely many names: once they are taken, `-{n}` is appended.
  const fallback = patternIsBounded(pattern) ? `${pattern}-{n}` : null;
  let seq = 1;
  const nextName = (): string => {
    for (let tries = 0; ; seq++, tries++) {
      const candidate = nameFromPattern(fallback && tries >= 200 ? fallback : pattern, seq);
      if (!byName.has(candidate) && !names.has(candidate)) {
        names.add(candidate);
        seq++;
        return candidate;
      }
    }
  };

  // Spread: each decky goes to the target with the fewest deckies so far (ties: given order).
  const load = targets.map((t) => ({ host: t, n: t.deckyCount }));
  const pickHost = (): PlanHost => {
    let best = load[0]!;
    for (const l of load) if (l.n < best.n) best = l;
    best.n++;
    return best.host;
  };

  const deckies: PlannedDecky[] = [];
  for (let i = 0; i < count; i++) {
    const explicit = req.deckies?.[i];
    const name = explicit?.name ?? nextName();
    const host = pickHost();
    const ip = explicit?.ip ?? nextIpOn(host);
    const parsed = DeckyConfig.safeParse({
      name,
      ip,
      hostname: hostnameFor(name, nmapOs),
      services,
      distro,
      ...(req.archetype ? { archetype: req.archetype } : {}),
      nmapOs,
      hostUuid: host.local ? null : host.uuid,
      serviceConfig: req.serviceConfig ?? {},
      ...(req.mutateInterval !== undefined ? { mutateInterval: req.mutateInterval } : {}),
    });
    if (!parsed.success) throw new AppError('INVALID_INPUT', `decky ${name}: ${describeZodError(parsed.error)}`);
    deckies.push({ config: parsed.data, placedOn: host.uuid });
  }
  return { deckies, warnings };
}

function resolveServices(req: PlanRequest): ServiceName[] {
  if (req.services) return [...req.services];
  if (req.archetype) return [...archetypes[req.archetype].services];
  throw new AppError('INVALID_INPUT', 'choose an archetype or a list of services for the deckies');
}
