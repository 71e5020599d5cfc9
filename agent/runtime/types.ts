import type { DeckyConfig, NetworkDriver } from '../../shared/domain/decky';
import type { DeckyRuntimeState } from '../../shared/domain/agent-status';
import type { AttackerEvent } from '../../shared/domain/events';
import type { Logger } from '../../shared/node/logger';
import type { Clock } from '../clock';
import type { DeckyNetwork } from '../network/decky-network';

export const runtimeNames = ['native', 'docker'] as const;
export type RuntimeName = (typeof runtimeNames)[number];

/** Where captured attacker events go (the agent's event spool). */
export type EventSink = (event: AttackerEvent) => void;

/**
 * What materialises deckies on this host. `up` is idempotent: the same config on a running decky
 * changes nothing, a different config replaces it. Nothing here decides WHEN to act: only the
 * master's requests do (boot invariant).
 */
export type Runtime = Readonly<{
  name: RuntimeName;
  /** Checks a decky can run here (address family, driver) without touching anything. */
  validate: (decky: DeckyConfig) => void;
  /** Resolves once every service of the decky listens; rejects (and leaves nothing running) otherwise. */
  up: (decky: DeckyConfig) => Promise<void>;
  /** Stops one decky, or every decky when `name` is omitted; unknown names are a no-op. */
  down: (name?: string) => Promise<void>;
  status: () => Record<string, DeckyRuntimeState>;
  /** Stops supervising and every child (teardown of everything, `stop({ stopDeckies: true })`). */
  close: () => Promise<void>;
  /**
   * Takes over the deckies a previous agent left running (agent start). Re-attaching is not
   * restarting: nothing is started, stopped or re-applied, so the boot invariant holds.
   */
  attach?: () => Promise<void>;
  /** Stops supervising and leaves every decky running for the next agent (agent stop/restart). */
  detach?: () => Promise<void>;
}>;

export type RuntimeContext = Readonly<{
  network: NetworkDriver;
  /** The namespaces and LAN addresses of the macvlan/ipvlan drivers (absent for loopback). */
  deckyNetwork?: DeckyNetwork;
  /** Per-decky persistent data (host keys, certificates) lives under this directory. */
  dataDir: string;
  /** Host processes' control sockets, registry entries and spools (default `<dataDir>/.hosts`). */
  hostsDir?: string;
  onEvent: EventSink;
  /** Resolves once every event given to onEvent is on disk; host processes drop them only then. */
  flushEvents?: () => Promise<void>;
  clock: Clock;
  log: Logger;
}>;

export type RuntimeFactory = (ctx: RuntimeContext) => Runtime;
