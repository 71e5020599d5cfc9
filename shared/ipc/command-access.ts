import type { Command } from './types';

/**
 * Which contract commands change state (`change`: recorded in the audit trail, and the only ones a
 * read-only role will be refused) and which only read (`read`). A `satisfies` over every command
 * name: adding a command to the contract without classifying it here does not compile. Actions
 * with an outside effect but no state change (a test alert, a reachability probe) count as changes
 * when they reach outside the master (alerts.test, siem.test), as reads when they only look.
 */
export const commandAccess = {
  'hosts.list': 'read',
  'hosts.enroll': 'change',
  'hosts.exportBundle': 'change',
  'hosts.agentPackage': 'read',
  'hosts.check': 'read',
  'hosts.setNetwork': 'change',
  'hosts.decommission': 'change',
  'deckies.list': 'read',
  'deckies.plan': 'read',
  'deckies.deploy': 'change',
  'deckies.mutate': 'change',
  'deckies.setMutateInterval': 'change',
  'deckies.teardown': 'change',
  'deckies.redeploy': 'change',
  'lifecycle.get': 'read',
  'lifecycle.recent': 'read',
  'topologies.list': 'read',
  'topologies.get': 'read',
  'topologies.create': 'change',
  'topologies.delete': 'change',
  'topologies.apply': 'change',
  'topologies.teardown': 'change',
  'topologies.state': 'read',
  'events.list': 'read',
  'events.histogram': 'read',
  'sources.list': 'read',
  'sources.timeline': 'read',
  'events.export': 'read',
  'events.retention': 'read',
  'events.setRetention': 'change',
  'siem.status': 'read',
  'siem.configure': 'change',
  'siem.test': 'change',
  'catalog.get': 'read',
  'settings.get': 'read',
  'alerts.get': 'read',
  'alerts.configure': 'change',
  'alerts.test': 'change',
  'incidents.list': 'read',
  'incidents.update': 'change',
  'settings.setMutateInterval': 'change',
  'settings.update': 'change',
  'audit.list': 'read',
  'accounts.list': 'read',
  'accounts.create': 'change',
  'accounts.setPassword': 'change',
  'accounts.remove': 'change',
} as const satisfies Record<Command, 'read' | 'change'>;
