import { join } from 'node:path';
import { z } from 'zod';
import type { TopologyReport } from '../shared/domain/agent-status';
import { canonicalHash } from '../shared/canonical-hash';
import { DeckyConfig } from '../shared/domain/decky';
import { HydratedTopology } from '../shared/domain/topology';
import { readJsonFile, writeFileAtomic } from '../shared/node/atomic-file';
import type { Logger } from '../shared/node/logger';
import { AppError, describeZodError, toAppError } from '../shared/errors';
import type { TopologyState } from '../shared/protocol/agent-api';
import type { Clock } from './clock';
import type { Runtime } from './runtime/types';
import { assertValidTopology } from '../shared/domain/topology-rules';
import { createSerial } from '../shared/node/serial';

export const TOPOLOGY_FILE = 'topology.json';
const MAX_ERROR = 2000;

/** What the agent remembers of the applied topology: a cache for reporting, never replayed at boot. */
const TopologyRecord = z.strictObject({
  topologyId: z.string().nullable(),
  /** "" marks a failed apply, so the master sees drift and resyncs. */
  appliedVersionHash: z.string().nullable(),
  appliedAt: z.iso.datetime({ offset: true }).nullable(),
  lastError: z.string().nullable(),
  hydrated: HydratedTopology.nullable(),
});
type TopologyRecord = z.output<typeof TopologyRecord>;

const emptyRecord: TopologyRecord = {
  topologyId: null,
  appliedVersionHash: null,
  appliedAt: null,
  lastError: null,
  hydrated: null,
};

export type TopologyManager = Readonly<{
  apply: (hydrated: HydratedTopology, versionHash: string) => Promise<{ topologyId: string; versionHash: string }>;
  teardown: (topologyId?: string) => Promise<void>;
  state: () => Promise<z.output<typeof TopologyState>>;
  report: () => Promise<TopologyReport>;
}>;

/**
 * One topology per agent (v1): a different topology supersedes the applied one. Its deckies are
 * materialised through the runtime, bound to their DMZ address (the native runtime gives a decky
 * one address; multi-LAN plumbing belongs to the macvlan/ipvlan drivers).
 */
export function createTopologyManager(opts: {
  stateDir: string;
  runtime: Runtime;
  /** Fleet deckies own their names; a topology decky may not shadow one. */
  fleetDeckyNames: () => Promise<ReadonlySet<string>>;
  clock: Clock;
  log: Logger;
}): TopologyManager {
  const path = join(opts.stateDir, TOPOLOGY_FILE);
  const serial = createSerial();
  const load = async (): Promise<TopologyRecord> => {
    const raw = await readJsonFile(path);
    if (raw === null) return emptyRecord;
    const parsed = TopologyRecord.safeParse(raw);
    if (!parsed.success)
      throw new AppError('INTERNAL', `${path} is invalid (${describeZodError(parsed.error)}); move it away`);
    return parsed.data;
  };
  const save = (rec: TopologyRecord): Promise<void> => writeFileAtomic(path, JSON.stringify(rec, null, 2) + '\n');
  const downAll = async (rec: TopologyRecord, keep: ReadonlySet<string> = new Set()): Promise<void> => {
    for (const d of rec.hydrated?.deckies ?? []) {
      if (keep.has(d.name)) continue;
      await opts.runtime
        .down(d.name)
        .catch((err: unknown) =>
          opts.log.warn('topology decky teardown failed', { decky: d.name, err: toAppError(err).message }),
        );
    }
  };

  return {
    apply: async (hydrated, versionHash) => {
      const computed = canonicalHash(hydrated);
      if (computed !== versionHash) {
        throw new AppError(
          'INVALID_INPUT',
          `versionHash ${versionHash} does not match the topology (the agent computed ${computed})`,
        );
      }
      assertValidTopology(hydrated);
      const deckies = hydrated.deckies.map((d) => toDeckyConfig(hydrated, d));
      deckies.forEach((d) => opts.runtime.validate(d));
      const fleet = await opts.fleetDeckyNames();
      const clash = deckies.find((d) => fleet.has(d.name));
      if (clash)
        throw new AppError(
          'CONFLICT',
          `decky ${clash.name} of the topology is already deployed on this worker as a fleet decky`,
        );
      const id = hydrated.topology.id;
      return serial(async () => {
        const prev = await load();
        if (prev.topologyId !== null && prev.topologyId !== id) {
          opts.log.info('superseding the applied topology', { old: prev.topologyId, new: id });
          await downAll(prev);
          await save(emptyRecord);
        } else {
          await downAll(prev, new Set(deckies.map((d) => d.name)));
        }
        try {
          for (const d of deckies) await opts.runtime.up(d);
        } catch (err) {
          const message = toAppError(err).message.slice(0, MAX_ERROR);
          await save({ topologyId: id, appliedVersionHash: '', appliedAt: null, lastError: message, hydrated });
          throw new AppError('INTERNAL', `topology ${id} could not be applied: ${message}`, undefined, { cause: err });
        }
        await save({
          topologyId: id,
          appliedVersionHash: versionHash,
          appliedAt: opts.clock.now().toISOString(),
          lastError: null,
          hydrated,
        });
        return { topologyId: id, versionHash };
      });
    },
    teardown: (topologyId) =>
      serial(async () => {
        const rec = await load();
        if (rec.topologyId === null || (topologyId !== undefined && rec.topologyId !== topologyId)) return;
        await downAll(rec);
        await save(emptyRecord);
      }),
    state: async () => {
      const rec = await load();
      const rt = opts.runtime.status();
      const observed = Object.fromEntries(
        (rec.hydrated?.deckies ?? []).map((d) => [d.name, rt[d.name]?.running ?? false]),
      );
      return {
        topologyId: rec.topologyId,
        appliedVersionHash: rec.appliedVersionHash,
        appliedAt: rec.appliedAt,
        lastError: rec.lastError,
        observed,
      };
    },
    report: async () => {
      const rec = await load();
      return {
        topologyId: rec.topologyId,
        appliedVersionHash: rec.appliedVersionHash,
        appliedAt: rec.appliedAt,
        lastError: rec.lastError,
      };
    },
  };
}

/** A topology decky as the runtime sees it: bound to its DMZ address, else its first LAN's. */
export function toDeckyConfig(t: HydratedTopology, d: HydratedTopology['deckies'][number]): DeckyConfig {
  const dmz = t.lans.find((l) => l.isDmz)?.id;
  const ip =
    (dmz !== undefined ? d.ipsByLan[dmz] : undefined) ??
    Object.entries(d.ipsByLan).sort(([a], [b]) => a.localeCompare(b))[0]?.[1];
  if (!ip) throw new AppError('INVALID_INPUT', `decky ${d.name} of the topology has no address`);
  const parsed = DeckyConfig.safeParse({
    name: d.name,
    ip,
    services: d.services,
    distro: 'debian',
    hostUuid: t.topology.targetHostUuid,
    serviceConfig: d.serviceConfig,
  });
  if (!parsed.success)
    throw new AppError('INVALID_INPUT', `decky ${d.name} of the topology: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
