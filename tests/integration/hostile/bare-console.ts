import { join } from 'node:path';
import { createEventBus } from '../../../main/core/bus';
import { createSessions, type Sessions } from '../../../main/core/console-api/auth';
import { createRateLimiter } from '../../../main/core/console-api/rate-limiter';
import { consoleBounds, startConsoleApi, type ConsoleApi } from '../../../main/core/console-api/server';
import type { CommandHandlers } from '../../../shared/ipc/types';
import { silentLogger } from '../../../shared/node/logger';

/**
 * A console API listener of its own, with no commands behind it and the bounds a test chooses
 * (short timeouts), for what happens before any handler: bodies, timeouts, budgets.
 */
export async function startBareConsole(
  dir: string,
  o: { headersTimeoutMs: number; requestTimeoutMs: number; rateLimit?: number },
): Promise<{ api: ConsoleApi; sessions: Sessions; port: number }> {
  const sessions = createSessions({ ttlMs: 60_000, now: () => Date.now() });
  const limiter = createRateLimiter({ limit: o.rateLimit ?? 1000, windowMs: 1000, now: () => Date.now() });
  const api = await startConsoleApi({
    host: '127.0.0.1',
    port: 0,
    handlers: {} as CommandHandlers,
    events: createEventBus(),
    sessions,
    adminPassword: 'x'.repeat(16),
    loginLimiter: limiter,
    rpcLimiter: limiter,
    corsOrigins: [],
    staticDir: join(dir, 'none'),
    log: silentLogger,
    bounds: { ...consoleBounds, headersTimeoutMs: o.headersTimeoutMs, requestTimeoutMs: o.requestTimeoutMs },
  });
  return { api, sessions, port: Number(new URL(api.url).port) };
}
