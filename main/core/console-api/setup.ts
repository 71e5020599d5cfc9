import type { Clock } from '../clock';
import type { MasterConfig } from '../config';
import { createSessions, resolveAdminPassword, type AdminPassword, type Sessions } from './auth';
import { createRateLimiter, type RateLimiter } from './rate-limiter';

/** Login is limited to 10 attempts a minute per peer; RPC to 600 a minute (DECNET_LIMITER_ENABLED). */
export const LOGIN_LIMIT = { limit: 10, windowMs: 60_000 } as const;
export const RPC_LIMIT = { limit: 600, windowMs: 60_000 } as const;

export async function createConsoleAuth(
  config: MasterConfig,
  clock: Clock,
): Promise<{
  password: AdminPassword;
  adminPassword: string;
  sessions: Sessions;
  loginLimiter: RateLimiter;
  rpcLimiter: RateLimiter;
  allowedHosts: readonly string[];
}> {
  const password = await resolveAdminPassword(config.dataDir, config.api.adminPassword);
  const now = () => clock.now();
  return {
    password,
    adminPassword: password.password,
    sessions: createSessions({ ttlMs: config.api.sessionTtlMs, now }),
    loginLimiter: createRateLimiter({ ...LOGIN_LIMIT, now, enabled: config.api.limiterEnabled }),
    rpcLimiter: createRateLimiter({ ...RPC_LIMIT, now, enabled: config.api.limiterEnabled }),
    allowedHosts: config.api.allowedHosts,
  };
}
