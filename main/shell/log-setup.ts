import { existsSync, renameSync, rmSync } from 'node:fs';
import type { LogFile, NodeLogger } from 'electron-log';
import type { Logger, LogLevel } from '../../shared/node/logger';

/** Rotation: a file past this size is archived (main.1.log … main.N.log, oldest dropped). */
export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_ARCHIVES = 3;

// electron-log has no "critical": it is written as error with a CRITICAL prefix.
const electronLevel = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', critical: 'error' } as const;

/**
 * Applies DECNET_LOG_LEVEL to both transports, the log file path and size-based rotation. Takes
 * the electron-log instance so it runs against `electron-log/node` in tests, without Electron.
 */
export function configureElectronLog(
  log: Pick<NodeLogger, 'transports'>,
  opts: { level: LogLevel; file: string; maxBytes?: number; archives?: number },
): void {
  const file = log.transports.file;
  file.level = electronLevel[opts.level];
  log.transports.console.level = electronLevel[opts.level];
  file.resolvePathFn = () => opts.file;
  file.maxSize = opts.maxBytes ?? LOG_MAX_BYTES;
  file.archiveLogFn = (old: LogFile) => archiveLog(old.path, opts.archives ?? LOG_ARCHIVES);
}

/** main.log → main.1.log, main.1.log → main.2.log, …; the oldest archive is deleted. Synchronous, as electron-log requires. */
export function archiveLog(path: string, archives: number): void {
  const nth = (n: number) => path.replace(/(\.log)?$/, `.${n}.log`);
  rmSync(nth(archives), { force: true });
  for (let n = archives - 1; n >= 1; n--) if (existsSync(nth(n))) renameSync(nth(n), nth(n + 1));
  renameSync(path, nth(1));
}

/** The core's Logger over electron-log: fields (and every child's bindings, e.g. `component`) go with each line. */
export function electronLogger(
  log: Pick<NodeLogger, 'debug' | 'info' | 'warn' | 'error'>,
  bindings: Record<string, unknown> = {},
): Logger {
  const fields = (f?: Record<string, unknown>) => ({ ...bindings, ...f });
  return {
    debug: (m, f) => log.debug(m, fields(f)),
    info: (m, f) => log.info(m, fields(f)),
    warn: (m, f) => log.warn(m, fields(f)),
    error: (m, f) => log.error(m, fields(f)),
    critical: (m, f) => log.error(`CRITICAL ${m}`, fields(f)),
    child: (more) => electronLogger(log, { ...bindings, ...more }),
  };
}
