import type { Logger } from '../../../shared/node/logger';
import type { ServiceName } from '../../../shared/catalog/services';
import type { DeckyConfig } from '../../../shared/domain/decky';

/**
 * The kinds of interaction services report. Analysts filter on these, so every service uses the
 * same words for the same thing (a password try is `auth` whether it came over SSH or FTP).
 */
export const interactionKinds = {
  /** A TCP connection was accepted (scanners show up here even when they say nothing). */
  connect: 'connect',
  /** A credential attempt: method, username, password… */
  auth: 'auth',
  /** A command line typed into a fake shell or a protocol command (FTP verbs). */
  command: 'command',
  /** An HTTP request. */
  request: 'request',
  /** Input the parser refused (over-long line, bad framing); the connection was closed. */
  malformed: 'malformed',
  /** A connection refused because its source already holds too many. */
  refused: 'refused',
  /** A payload captured into the decky's quarantine (a fetch, an upload, a dropper): its SHA-256. */
  artifact: 'artifact',
  /** An interactive session's asciinema v2 recording, kept like an artifact: its SHA-256. */
  recording: 'recording',
} as const;
export type InteractionKind = (typeof interactionKinds)[keyof typeof interactionKinds];

/** What a service reports about one interaction; the host adds id, ts, decky and service. */
export type CapturedInteraction = Readonly<{
  src: string;
  kind: InteractionKind;
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
