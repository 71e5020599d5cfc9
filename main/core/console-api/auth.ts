import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccountRole } from '../../../shared/ipc/contract';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

export type AdminPassword = Readonly<{ password: string; source: 'env' | 'file' | 'generated'; path: string | null }>;

/**
 * DECNET_ADMIN_PASSWORD when set; otherwise `<data>/admin-password` (mode 0600), generated on the
 * first run so a fresh install is never protected by a default password.
 */
export async function resolveAdminPassword(dataDir: string, fromEnv: string | null): Promise<AdminPassword> {
  if (fromEnv) {
    if (fromEnv.length < 12)
      throw new AppError('INVALID_INPUT', 'DECNET_ADMIN_PASSWORD must be at least 12 characters');
    return { password: fromEnv, source: 'env', path: null };
  }
  const path = join(dataDir, 'admin-password');
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (stored.length >= 12) return { password: stored, source: 'file', path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AppError('INTERNAL', `cannot read ${path}: ${(err as Error).message}`);
  }
  const password = randomBytes(18).toString('base64url');
  await writeFileAtomic(path, password + '\n', 0o600);
  return { password, source: 'generated', path };
}

/** Compares digests so neither length nor content leaks through timing. */
export function passwordMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type Sessions = ReturnType<typeof createSessions>;

/** Random bearer tokens with an expiry, in memory only (a restart logs everyone out, by design). */
/** Who a session is: the account that logged in and its role. */
export type SessionUser = Readonly<{ username: string; role: AccountRole }>;

export function createSessions(opts: Readonly<{ ttlMs: number; now: () => number }>) {
  const tokens = new Map<string, { exp: number; user: SessionUser }>();
  return {
    issue(user: SessionUser = { username: 'admin', role: 'admin' }): { token: string; expiresAt: number } {
      let token = randomBytes(32).toString('base64url');
      // One in 64 would start with "-": `decnet-master … --token <it>` would read it as a flag.
      while (token.startsWith('-')) token = randomBytes(32).toString('base64url');
      const expiresAt = opts.now() + opts.ttlMs;
      tokens.set(token, { exp: expiresAt, user });
      if (tokens.size > 10_000) for (const [t, s] of tokens) if (s.exp <= opts.now()) tokens.delete(t);
      return { token, expiresAt };
    },
    /** The session's user; UNAUTHENTICATED unless `token` is live. */
    check(token: string | null): SessionUser {
      if (!token) throw new AppError('UNAUTHENTICATED', 'missing bearer token: log in at POST /api/v1/auth/login');
      const s = tokens.get(token);
      if (s === undefined) throw new AppError('UNAUTHENTICATED', 'unknown or revoked token: log in again');
      if (s.exp <= opts.now()) {
        tokens.delete(token);
        throw new AppError('UNAUTHENTICATED', 'token expired: log in again');
      }
      return s.user;
    },
    /** Whether `token` is live now; an SSE stream asks this before each write and every second. */
    isLive(token: string): boolean {
      const s = tokens.get(token);
      return s !== undefined && s.exp > opts.now();
    },
    /** Ends every session of an account (its password changed or it was removed). */
    revokeUser(username: string): void {
      for (const [t, s] of tokens) if (s.user.username === username) tokens.delete(t);
    },
    /** Logout: the token stops working at once, and streams opened with it are ended by their check. */
    revoke: (token: string) => tokens.delete(token),
  };
}
