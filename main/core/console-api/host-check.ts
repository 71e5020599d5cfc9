import { isIP } from 'node:net';
import { AppError } from '../../../shared/errors';

const loopbackNames = ['localhost', '127.0.0.1', '::1'] as const;

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The name part of a Host header, lower-cased: `[::1]:8000` → `::1`, `Example.COM.:80` → `example.com`. */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([^:[\]\s/@]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : null;
}

/**
 * Which Host headers the console API answers. DNS rebinding points an attacker's name at our
 * address, so the browser sends `Host: evil.example`: only names we were told about pass. An IP
 * literal cannot be rebound, so the bound address passes (any address when bound to a wildcard,
 * since the API then serves every interface), loopback names pass on a loopback bind, and
 * DECNET_API_ALLOWED_HOSTS adds the names a reverse proxy or DNS gives the console.
 */
export function createHostCheck(
  bindHost: string,
  allowedNames: readonly string[],
): (header: string | undefined) => void {
  const bind = bindHost.toLowerCase();
  const names = new Set<string>(allowedNames.map((n) => n.toLowerCase().replace(/\.$/, '')));
  if (!isWildcard(bind)) names.add(bind);
  if (isWildcard(bind) || isLoopback(bind)) for (const n of loopbackNames) names.add(n);
  return (header) => {
    const name = header === undefined ? null : hostName(header);
    if (name !== null && (names.has(name) || (isWildcard(bind) && isIP(name) !== 0))) return;
    throw new AppError(
      'FORBIDDEN',
      `Host ${JSON.stringify(header ?? '')} is not a name this console serves; add it to DECNET_API_ALLOWED_HOSTS`,
    );
  };
}
