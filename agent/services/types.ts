import type { Logger } from '../../shared/node/logger';
import type { ServiceName } from '../../shared/catalog/services';
import type { DeckyConfig } from '../../shared/domain/decky';

/** What a service reports about one interaction; the host adds ts, decky and service. */
export type CapturedInteraction = Readonly<{
  src: string;
  kind: string;
  data: Record<string, unknown>;
}>;

export type ServiceContext = Readonly<{
  decky: DeckyConfig;
  service: ServiceName;
  /** Address to bind: the decky's IP. */
  host: string;
  /** Catalogue port → port actually bound (identity unless a test remaps). */
  port: (catalogPort: number) => number;
  /** Persona values: the decky's serviceConfig for this service over distro defaults. */
  persona: Readonly<Record<string, string | number | boolean>>;
  /** Directory for this decky's persistent service data (host keys, certificates). */
  dataDir: string;
  capture: (interaction: CapturedInteraction) => void;
  log: Logger;
}>;

export type RunningService = Readonly<{
  /** Ports actually bound, `21/tcp` style. */
  bound: readonly string[];
  close: () => Promise<void>;
}>;

/** One honeypot service implementation; `start` resolves once every port listens. */
export type ServiceModule = Readonly<{
  name: ServiceName;
  start: (ctx: ServiceContext) => Promise<RunningService>;
}>;
