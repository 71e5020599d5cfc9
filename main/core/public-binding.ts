import { isIP } from 'node:net';
import type { Logger } from '../../shared/node/logger';

type Env = Readonly<Record<string, string | undefined>>;

export type BindingCheck = Readonly<{ ok: boolean; messages: string[] }>;

export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return false;
}

function hostOfUrl(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/**
 * Refuses the footguns of exposing the console API (DESIGN §5): on a non-loopback DECNET_API_HOST,
 * a loopback origin in DECNET_CORS_ORIGINS (any local page could then drive the API) or a plain
 * http:// DECNET_CANARY_HTTP_BASE to a non-loopback host (tokens in cleartext) refuse start-up;
 * DECNET_LIMITER_ENABLED=false is logged CRITICAL. The env is a parameter so tests can pass one
 * without VITEST/NODE_ENV, under which the check is skipped (the test runner binds loopback).
 */
export function validatePublicBinding(env: Env, log?: Logger): BindingCheck {
  if (env.VITEST || env.NODE_ENV === 'test') return { ok: true, messages: ['skipped under the test runner'] };
  const problems: string[] = [];
  const warnings: string[] = [];
  const apiHost = env.DECNET_API_HOST?.trim() || '127.0.0.1';
  const origins = (env.DECNET_CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (origins.includes('*')) problems.push('DECNET_CORS_ORIGINS contains "*": name the origins that may call the API');
  if (!isLoopbackHost(apiHost)) {
    const loopOrigins = origins.filter((o) => {
      const h = hostOfUrl(o);
      return h !== null && isLoopbackHost(h);
    });
    if (loopOrigins.length > 0) {
      problems.push(
        `DECNET_CORS_ORIGINS contains the loopback origin ${loopOrigins.join(', ')} while DECNET_API_HOST=${apiHost} is public: any page on an analyst's machine could drive the API; remove it`,
      );
    }
    const canary = env.DECNET_CANARY_HTTP_BASE?.trim();
    if (canary && canary.toLowerCase().startsWith('http://')) {
      const h = hostOfUrl(canary);
      if (h !== null && !isLoopbackHost(h))
        problems.push(`DECNET_CANARY_HTTP_BASE=${canary} is plain http:// to a non-loopback host; use https://`);
    }
  }
  if ((env.DECNET_LIMITER_ENABLED ?? '').trim().toLowerCase() === 'false') {
    const msg =
      'DECNET_LIMITER_ENABLED=false: login and RPC rate limiting is OFF; brute-forcing the admin password is unthrottled';
    warnings.push(msg);
    log?.critical(msg);
  }
  return { ok: problems.length === 0, messages: [...problems, ...warnings] };
}
