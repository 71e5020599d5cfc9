import { type z } from 'zod';
import { SiemConfigInput } from '../../../shared/domain/event-query';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { EventStore } from './event-store';
import { createSyslogForwarder, type SiemFormat, type SiemStatus, type SyslogForwarder } from './syslog-forwarder';

/** Where Settings keeps the SIEM output (master.json); it overrides DECNET_LOG_TARGET/_FORMAT/_CA. */
export const SIEM_SETTING = 'siemOutput';

export type SiemConfig = z.output<typeof SiemConfigInput>;
export type SiemOutput = Readonly<{
  send(events: Parameters<SyslogForwarder['send']>[0]): void;
  status(): SiemStatus | null;
  test(): Promise<{ ok: boolean; error: string | null }>;
  /** Replaces the output (target null = off) and saves it; INVALID_INPUT for a CA that is not PEM. */
  configure(c: SiemConfig): Promise<SiemStatus | null>;
  stop(): Promise<void>;
}>;

/**
 * The SIEM output as Settings changes it at run time: one forwarder at a time, rebuilt when the
 * target, format or CA changes. A saved setting wins over the environment at start.
 */
export function createSiemOutput(
  opts: Readonly<{
    env: Readonly<{ target: string | null; format: SiemFormat; caFile: string | null }>;
    settings: Readonly<{ get(key: string): unknown; set(key: string, value: unknown): void }>;
    store: EventStore;
    deckyIp: (decky: string) => string | undefined;
    log: Logger;
  }>,
): SiemOutput {
  const make = (c: { target: string | null; format: SiemFormat; ca?: string | null; caFile?: string | null }) =>
    c.target
      ? createSyslogForwarder({
          target: c.target,
          format: c.format,
          ca: c.ca ?? null,
          caFile: c.caFile ?? null,
          store: opts.store,
          deckyIp: opts.deckyIp,
          log: opts.log,
        })
      : null;
  const saved = SiemConfigInput.safeParse(opts.settings.get(SIEM_SETTING));
  let current: SyslogForwarder | null = saved.success ? make(saved.data) : make(opts.env);
  return {
    send: (events) => current?.send(events),
    status: () => current?.status() ?? null,
    test: () =>
      current
        ? current.test()
        : Promise.resolve({ ok: false, error: 'no SIEM output: set a target in Settings or DECNET_LOG_TARGET' }),
    async configure(c) {
      if (c.ca && !/-----BEGIN CERTIFICATE-----/.test(c.ca))
        throw new AppError('INVALID_INPUT', 'ca: must be PEM text (-----BEGIN CERTIFICATE-----…)');
      await current?.stop();
      current = make(c);
      opts.settings.set(SIEM_SETTING, c);
      return current?.status() ?? null;
    },
    stop: async () => current?.stop(),
  };
}
