import { ipcCommands } from '../../shared/ipc/contract';
import type { Command } from '../../shared/ipc/types';
import { flagsOf, kebab, type DerivedFlag } from './flags';

/**
 * Subcommand names that read better than the contract verb; every other contract command is
 * `<domain> <verb-in-kebab-case>`. Nothing here can hide a command: the table is built from
 * `ipcCommands`, so a new contract command is a new subcommand.
 */
const renames: Partial<Record<Command, string>> = {
  'hosts.exportBundle': 'bundle',
  'hosts.agentPackage': 'agent-package',
  'settings.get': 'get',
};

/** Fields a subcommand also takes as its first positional argument (`deckies teardown web-01`). */
const positionalKeys = ['deckyName', 'hostUuid', 'topologyId'] as const;

export type RemoteSubcommand = Readonly<{
  group: string;
  verb: string;
  command: Command;
  flags: readonly DerivedFlag[];
  positional: DerivedFlag | null;
}>;

export const remoteSubcommands: readonly RemoteSubcommand[] = (Object.keys(ipcCommands) as Command[]).map((command) => {
  const [group, verb] = command.split('.') as [string, string];
  const flags = flagsOf(ipcCommands[command].input);
  const positional = flags.find((f) => f.required && (positionalKeys as readonly string[]).includes(f.key)) ?? null;
  return { group, verb: renames[command] ?? kebab(verb), command, flags, positional };
});

export const groups: readonly string[] = [...new Set(remoteSubcommands.map((s) => s.group))];

/** Summaries for help; a command without one still shows up (its flags say what it takes). */
export const summaries: Partial<Record<Command, string>> = {
  'hosts.list': 'list enrolled hosts with liveness',
  'hosts.enroll': 'create a single-use join token and the enroll command line',
  'hosts.exportBundle': 'write an offline enrollment bundle',
  'hosts.check': 'probe a host over mTLS',
  'hosts.decommission': 'wipe a host and forget it',
  'hosts.update': "push the console's signed agent release to a worker's updater (rolled back on its own if it fails)",
  'hosts.updateSelf':
    "push the console's signed release to a worker's updater itself (falls back to the previous updater)",
  'hosts.updateAll': 'update every worker, --wave-size at a time, stopping at the first failure',
  'hosts.updates': 'per worker: agent version, update under way, last result; and the rollout',
  'deckies.list': 'list deckies',
  'deckies.plan': 'show what a deploy would create (nothing changes)',
  'deckies.deploy': 'deploy deckies (202: follow with lifecycle get)',
  'deckies.mutate': "change a decky's services",
  'deckies.setMutateInterval':
    "set a decky's scheduled-mutation interval (minutes, off, or omit for the fleet default)",
  'deckies.teardown': 'tear a decky down',
  'lifecycle.get': 'lifecycle rows by id',
  'lifecycle.recent': 'most recent lifecycle rows',
  'events.list': 'captured attacker events, newest first (filters: time range, source or CIDR, decky, text…)',
  'events.histogram': 'events per service over time, under the same filters',
  'sources.list': 'attackers: one row per source address, most recently active first',
  'sources.timeline': "one source's events grouped into sessions, credentials and commands in order",
  'settings.get': 'console settings',
  'settings.setMutateInterval': 'set the fleet default mutation interval (minutes or off)',
};

export function findSubcommand(group: string, verb: string | undefined): RemoteSubcommand | undefined {
  // `decnet-master settings` alone means `settings get`.
  const v = verb ?? (group === 'settings' ? 'get' : undefined);
  return remoteSubcommands.find((s) => s.group === group && s.verb === v);
}
