import { distros, type DistroName } from '../../../shared/catalog/distros';
import { services, type ServiceName } from '../../../shared/catalog/services';
import type { DeckyConfig } from '../../../shared/domain/decky';

export type Persona = Readonly<Record<string, string | number | boolean>>;

/** The name the decky announces: its configured host name, else its decky name. */
export function deckyHostname(decky: DeckyConfig): string {
  return decky.hostname ?? decky.name;
}

/**
 * What a Linux telnetd prints from /etc/issue.net on each distro (with \r \m already expanded the
 * way in.telnetd does it), so the pre-login text matches the SSH and HTTP banners of the decky.
 */
function issueNet(distro: DistroName): string {
  const d = distros[distro];
  const kernelLine = `Kernel ${d.kernel} on an x86_64`;
  const issues: Record<DistroName, string> = {
    debian: 'Debian GNU/Linux 12',
    ubuntu22: 'Ubuntu 22.04.4 LTS',
    ubuntu20: 'Ubuntu 20.04.6 LTS',
    rocky9: `Rocky Linux 9.4 (Blue Onyx)\n${kernelLine}`,
    centos7: `CentOS Linux 7 (Core)\n${kernelLine}`,
    alpine: 'Welcome to Alpine Linux 3.19',
    fedora: `Fedora Linux 39 (Server Edition)\n${kernelLine}`,
    kali: 'Kali GNU/Linux Rolling',
    arch: 'Arch Linux',
    windows: '',
  };
  return issues[distro];
}

/** Defaults derived from the decky's distro and name, per service. */
function defaultsFor(decky: DeckyConfig, service: ServiceName): Record<string, string | number | boolean> {
  const d = distros[decky.distro];
  const host = deckyHostname(decky);
  const generic: Record<string, string | number | boolean> = {};
  // Any service with a `hostname` persona key announces the decky's host name by default.
  if ('hostname' in services[service].persona) generic.hostname = host;
  switch (service) {
    case 'ssh':
      return { ...generic, version: d.sshVersion, kernel: d.kernel, users: '' };
    case 'http':
      return { ...generic, server: d.httpServer, title: `${host} - Sign in`, poweredBy: '' };
    case 'https':
      return { ...generic, server: d.httpServer, title: `${host} - Sign in`, certCn: host };
    case 'ftp':
      return { ...generic, banner: d.ftpBanner, anonymous: false };
    case 'telnet':
      return { ...generic, banner: issueNet(decky.distro), prompt: `${host} login: ` };
    case 'mysql':
      return { ...generic, version: d.mysqlVersion };
    case 'postgres':
      return { ...generic, version: d.postgresVersion };
    case 'redis':
      return { ...generic, version: d.redisVersion, password: '' };
    default:
      return generic;
  }
}

/**
 * The persona a service runs with: catalogue/distro defaults overlaid with the analyst's
 * `decky.serviceConfig[service]` (the schema already checked its keys and types).
 */
export function personaFor(decky: DeckyConfig, service: ServiceName): Persona {
  return Object.freeze({ ...defaultsFor(decky, service), ...(decky.serviceConfig[service] ?? {}) });
}

/** A persona value as a string (`undefined` and non-strings fall back). */
export function personaString(persona: Persona, key: string, fallback: string): string {
  const v = persona[key];
  return typeof v === 'string' ? v : fallback;
}

export function personaBool(persona: Persona, key: string, fallback: boolean): boolean {
  const v = persona[key];
  return typeof v === 'boolean' ? v : fallback;
}

/** Persona `users`: `root:toor,admin:admin123` → user → password (the first colon splits). */
export function parseUsers(spec: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const entry of spec.split(',')) {
    const at = entry.indexOf(':');
    if (at <= 0) continue;
    users.set(entry.slice(0, at).trim(), entry.slice(at + 1));
  }
  return users;
}
