/** Minimal structured logger; injected everywhere (no module-level singleton). */
export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  critical(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
};

const levels = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 } as const;
export type LogLevel = keyof typeof levels;

/** JSON lines on stderr at or above `level` (DECNET_LOG_LEVEL). */
export function createLogger(
  opts: { level?: LogLevel; bindings?: Record<string, unknown>; write?: (line: string) => void } = {},
): Logger {
  const min = levels[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const bindings = opts.bindings ?? {};
  const emit = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (levels[level] < min) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...bindings, ...fields }, errorReplacer));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    critical: emit('critical'),
    child: (more) => createLogger({ ...opts, bindings: { ...bindings, ...more } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  critical: () => undefined,
  child: () => silentLogger,
};
