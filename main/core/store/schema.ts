import type { DeckyConfig, DeckyState } from '../../../shared/domain/decky';
import type { TopologyReport } from '../../../shared/domain/agent-status';
import type { HostNetwork } from '../../../shared/domain/host';
import type { LifecycleRow, LifecycleTrigger } from '../../../shared/domain/lifecycle';
import type { HydratedTopology } from '../../../shared/domain/topology';

export const SCHEMA_VERSION = 1;

/** One enrolled worker (or the embedded local agent, `local: true`). Never holds key material. */
export type HostRecord = {
  uuid: string;
  name: string;
  address: string | null;
  agentPort: number;
  fingerprint: string | null;
  certExpiresAt: string | null;
  enrolledAt: string;
  local: boolean;
  lastHeartbeatAt: string | null;
  lastEventsAt: string | null;
  agentVersion: string | null;
  topology: TopologyReport | null;
  /** Absent in stores written before agents reported their network. */
  network?: HostNetwork;
};

/**
 * The master's view of one decky. `config.hostUuid` is null for master-resident (unihost) deckies;
 * `placedOn` is the host that actually runs it (the local agent's uuid for those).
 */
export type DeckyRecord = {
  config: DeckyConfig;
  placedOn: string | null;
  state: DeckyState;
  services: Record<string, string>;
  lastError: string | null;
  updatedAt: string;
  /** A mutate in flight: its services are committed to `config` only when the delta says succeeded. */
  pendingMutation?: { lifecycleId: string; services: DeckyConfig['services']; trigger?: LifecycleTrigger } | null;
};

export type TopologyRecord = {
  hydrated: HydratedTopology;
  /** Hash the target host last reported (heartbeat) or acknowledged (apply). */
  appliedHash: string | null;
  lastError: string | null;
  /** Expected hash for which a resync was already attempted: at most one resync per drift. */
  resyncedForHash: string | null;
};

/** A join token as stored: keyed by the SHA-256 of its secret (`id`), never the secret itself. */
export type JoinTokenRecord = {
  id: string;
  hostUuid: string;
  /** When set, only a worker enrolling under this name may use the token. */
  name: string | null;
  /** Lets the enrollment take over an enrolled name, revoking the old certificate. */
  replace: boolean;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
};

export type DbData = {
  schemaVersion: number;
  hosts: HostRecord[];
  deckies: DeckyRecord[];
  lifecycle: LifecycleRow[];
  topologies: TopologyRecord[];
  settings: Record<string, unknown>;
  joinTokens: JoinTokenRecord[];
  revokedFingerprints: string[];
};

export function emptyDb(): DbData {
  return {
    schemaVersion: SCHEMA_VERSION,
    hosts: [],
    deckies: [],
    lifecycle: [],
    topologies: [],
    settings: {},
    joinTokens: [],
    revokedFingerprints: [],
  };
}

type Migration = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * `migrations[n]` upgrades a document at version n to n+1. Version 0 is any document written
 * before `schemaVersion` existed (or a partial one): fill every missing collection.
 */
const migrations: Record<number, Migration> = {
  0: (d) => ({ ...emptyDb(), ...d, schemaVersion: 1 }),
};

/**
 * Upgrades a document to the current schema. Only a document that looks like a DECNET store is
 * upgraded: `null`, an array or `{}` is refused (opening it as empty would silently drop every host).
 */
export function migrate(raw: unknown): DbData {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `the document is ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`}, not a DECNET store`,
    );
  }
  let doc = raw as Record<string, unknown>;
  if (typeof doc.schemaVersion !== 'number' && !Array.isArray(doc.hosts))
    throw new Error('the document has neither schemaVersion nor hosts; it is not a DECNET store');
  let version = typeof doc.schemaVersion === 'number' ? doc.schemaVersion : 0;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `the store was written by a newer DECNET (schema ${version}, this build knows ${SCHEMA_VERSION}); refusing to downgrade it`,
    );
  }
  while (version < SCHEMA_VERSION) {
    const step = migrations[version];
    if (!step) throw new Error(`no store migration from schema ${version}`);
    doc = step(doc);
    version = doc.schemaVersion as number;
  }
  return doc as DbData;
}
