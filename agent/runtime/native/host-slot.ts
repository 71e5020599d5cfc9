// One decky's place in a host process, as its supervisor (HostProcess) tracks it.
import type { DeckyRuntimeState } from '../../../shared/domain/agent-status';
import type { DeckyConfig } from '../../../shared/domain/decky';
import type { AppError } from '../../../shared/errors';
import type { ReadyMessage, StartMessage } from './decky-host-protocol';

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 30_000;

export type ServiceState = DeckyRuntimeState['services'][string];

/** How a decky's sockets are obtained: in the host process's namespace, or in its own (`netns`). */
export type SlotNetwork = Readonly<{ netns?: string }>;

export type Slot = {
  decky: DeckyConfig;
  dataDir: string;
  network: SlotNetwork;
  services: Record<string, ServiceState>;
  restarts: number;
  lastError: string | undefined;
  /** Became ready once: from then on a crash or failed restart is this supervisor's to retry. */
  supervised: boolean;
  /** Settles the start waiting for this decky's 'ready'. */
  settle: ((err?: AppError) => void) | null;
  backoffMs: number;
  cancelRetry: (() => void) | null;
};

/** A decky about to be started here: every service stopped, not yet supervised. */
export function newSlot(decky: DeckyConfig, dataDir: string, network: SlotNetwork): Slot {
  const services = Object.fromEntries(decky.services.map((s) => [s, 'stopped' as const]));
  return { ...slotBase(decky, dataDir, network, services), supervised: false };
}

/**
 * A decky an adopted host process already runs (from its hello): supervised from now on. The start
 * message the host kept names the decky's namespace, so a crash restart binds there again.
 */
export function adoptedSlot(start: StartMessage, ready: ReadyMessage | null | undefined): Slot {
  const services: Record<string, ServiceState> = Object.fromEntries(
    start.decky.services.map((s) => [s, ready ? (ready.services[s] ?? 'failed') : 'starting']),
  );
  return {
    ...slotBase(start.decky, start.dataDir, start.netns ? { netns: start.netns } : {}, services),
    supervised: true,
  };
}

function slotBase(decky: DeckyConfig, dataDir: string, network: SlotNetwork, services: Record<string, ServiceState>) {
  return {
    decky,
    dataDir,
    network,
    services,
    restarts: 0,
    lastError: undefined,
    settle: null,
    backoffMs: BACKOFF_MIN_MS,
    cancelRetry: null,
  };
}
