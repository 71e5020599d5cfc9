import { z } from 'zod';
import { archetypeNames } from '../catalog/archetypes';
import { distroNames } from '../catalog/distros';
import { nmapOsNames } from '../catalog/os-fingerprints';
import { findPortClash, isServiceName, serviceNames, services } from '../catalog/services';
import { quoteValue } from '../errors';

/** Safe as a file name, a compose project name and a DNS label. */
export const DeckyName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'decky name must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit',
  );

export const HostUuid = z.uuid({ message: 'host uuid must be a UUID' });

export const ServiceNameSchema = z.enum(serviceNames, {
  error: (issue) => `unknown service ${quoteValue(issue.input)} (known: ${serviceNames.join(', ')})`,
});

export const PersonaValue = z.union([z.string().max(1024), z.number().int(), z.boolean()]);

/** Per-service persona settings: `{ ssh: { version: "OpenSSH_8.9p1 ..." } }`. */
export const ServiceConfig = z.record(z.string(), z.record(z.string(), PersonaValue));

/** Scheduled-mutation interval in minutes (the wizard offers 5-240; the record allows a week). */
/** What the master knows of a placed decky, from its lifecycle rows and its host's heartbeats. */
export const deckyStates = ['pending', 'running', 'degraded', 'stopped', 'failed', 'unknown'] as const;
export type DeckyState = (typeof deckyStates)[number];

export const MutateInterval = z
  .number()
  .int()
  .min(1, 'mutate interval must be at least 1 minute')
  .max(10080, 'mutate interval must be at most 10080 minutes (a week)');

export const DeckyConfig = z
  .strictObject({
    name: DeckyName,
    ip: z.ipv4({ message: 'ip must be an IPv4 address' }),
    hostname: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, 'hostname is not a valid host name')
      .optional(),
    services: z.array(ServiceNameSchema).min(1, 'a decky needs at least one service').max(serviceNames.length),
    distro: z.enum(distroNames, { error: (i) => `unknown distro ${quoteValue(i.input)}` }),
    archetype: z.enum(archetypeNames, { error: (i) => `unknown archetype ${quoteValue(i.input)}` }).optional(),
    nmapOs: z.enum(nmapOsNames).default('linux'),
    hostUuid: HostUuid.nullable().default(null),
    serviceConfig: ServiceConfig.default({}),
    lastMutated: z.number().nonnegative().optional(),
    /** Minutes between scheduled mutations; null = off; absent = the fleet default. */
    mutateInterval: MutateInterval.nullable().optional(),
  })
  .superRefine((decky, ctx) => {
    if (new Set(decky.services).size !== decky.services.length) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'services must not repeat' });
    }
    const clash = findPortClash(decky.services);
    if (clash) ctx.addIssue({ code: 'custom', path: ['services'], message: `port clash: ${clash}` });
    for (const [svc, cfg] of Object.entries(decky.serviceConfig)) {
      if (!isServiceName(svc) || !decky.services.includes(svc)) {
        ctx.addIssue({
          code: 'custom',
          path: ['serviceConfig', svc],
          message: `serviceConfig names "${svc}", which is not among the decky's services`,
        });
        continue;
      }
      const keys: Record<string, { type: string }> = services[svc].persona;
      for (const [key, value] of Object.entries(cfg)) {
        const def = keys[key];
        if (!def) {
          ctx.addIssue({
            code: 'custom',
            path: ['serviceConfig', svc, key],
            message: `${svc} has no persona key "${key}"`,
          });
        } else if (!personaValueFits(def.type, value)) {
          ctx.addIssue({
            code: 'custom',
            path: ['serviceConfig', svc, key],
            message: `${svc}.${key} must be ${def.type === 'int' ? 'an integer' : def.type === 'bool' ? 'true or false' : 'a string'}`,
          });
        }
      }
    }
  });

function personaValueFits(type: string, value: unknown): boolean {
  if (type === 'int') return typeof value === 'number';
  if (type === 'bool') return typeof value === 'boolean';
  return typeof value === 'string';
}

export type DeckyConfig = z.output<typeof DeckyConfig>;
export type DeckyConfigInput = z.input<typeof DeckyConfig>;

/** Minutes between a decky's mutations: its own value, else the fleet default; null = off. */
export function intervalOf(config: Pick<DeckyConfig, 'mutateInterval'>, fleetDefault: number | null): number | null {
  return config.mutateInterval === undefined ? fleetDefault : config.mutateInterval;
}

/**
 * The mutate rule, once (master, agent, and the delta that commits it): the decky with `services`
 * instead of its own, and the persona settings of services that go away gone with them. Not
 * validated: callers parse the result where it comes from outside.
 */
export function withServices<C extends DeckyConfig>(
  config: C,
  services: readonly DeckyConfig['services'][number][],
): C {
  const kept = new Set<string>(services);
  const serviceConfig = Object.fromEntries(Object.entries(config.serviceConfig).filter(([s]) => kept.has(s)));
  return { ...config, services: [...services], serviceConfig };
}

export const networkDrivers = ['loopback', 'macvlan', 'ipvlan'] as const;
export const NetworkDriver = z.enum(networkDrivers);
export type NetworkDriver = z.output<typeof NetworkDriver>;

const Cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'subnet must be an IPv4 CIDR such as 10.0.0.0/24');

export const NetworkConfig = z.strictObject({
  driver: NetworkDriver.default('loopback'),
  interface: z.string().max(15).optional(),
  subnet: Cidr.optional(),
  gateway: z.ipv4().optional(),
});
export type NetworkConfig = z.output<typeof NetworkConfig>;

/** The fleet configuration carried by `/deploy`. */
export const DecnetConfig = z
  .strictObject({
    mode: z.enum(['unihost', 'swarm']),
    network: NetworkConfig.default({ driver: 'loopback' }),
    deckies: z.array(DeckyConfig).min(1, 'at least one decky is required').max(1024),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    const ips = new Set<string>();
    cfg.deckies.forEach((d, i) => {
      if (names.has(d.name))
        ctx.addIssue({ code: 'custom', path: ['deckies', i, 'name'], message: `decky name "${d.name}" appears twice` });
      if (ips.has(d.ip))
        ctx.addIssue({ code: 'custom', path: ['deckies', i, 'ip'], message: `ip ${d.ip} appears twice` });
      names.add(d.name);
      ips.add(d.ip);
    });
  });
export type DecnetConfig = z.output<typeof DecnetConfig>;
export type DecnetConfigInput = z.input<typeof DecnetConfig>;
