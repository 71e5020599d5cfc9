import type { DistroName } from './distros';
import type { NmapOs } from './os-fingerprints';
import type { ServiceName } from './services';

/** A ready-made decky profile: which services it runs and which OS it imitates. */
export type ArchetypeDef = Readonly<{
  label: string;
  services: readonly ServiceName[];
  nmapOs: NmapOs;
  distros: readonly DistroName[];
}>;

export const archetypes = {
  deaddeck: { label: 'Dead deck (SSH only)', services: ['ssh'], nmapOs: 'linux', distros: ['debian', 'ubuntu22'] },
  'windows-workstation': {
    label: 'Windows workstation',
    services: ['smb', 'rdp'],
    nmapOs: 'windows',
    distros: ['windows'],
  },
  'windows-server': {
    label: 'Windows server',
    services: ['smb', 'rdp', 'ldap'],
    nmapOs: 'windows_server',
    distros: ['windows'],
  },
  'domain-controller': {
    label: 'Domain controller',
    services: ['ldap', 'smb', 'rdp', 'llmnr', 'dns'],
    nmapOs: 'windows_server',
    distros: ['windows'],
  },
  'linux-server': {
    label: 'Linux server',
    services: ['ssh', 'http'],
    nmapOs: 'linux',
    distros: ['debian', 'ubuntu22', 'rocky9', 'fedora'],
  },
  'web-server': {
    label: 'Web server',
    services: ['http', 'https', 'ftp', 'ssh'],
    nmapOs: 'linux',
    distros: ['debian', 'ubuntu22', 'ubuntu20'],
  },
  'database-server': {
    label: 'Database server',
    services: ['mysql', 'postgres', 'redis', 'ssh'],
    nmapOs: 'linux',
    distros: ['debian', 'ubuntu22'],
  },
  'mail-server': {
    label: 'Mail server',
    services: ['smtp', 'pop3', 'imap', 'ssh'],
    nmapOs: 'linux',
    distros: ['debian', 'ubuntu22'],
  },
  'file-server': {
    label: 'File server',
    services: ['smb', 'ftp', 'ssh', 'tftp'],
    nmapOs: 'linux',
    distros: ['debian', 'ubuntu22', 'rocky9'],
  },
  printer: {
    label: 'Network printer',
    services: ['snmp', 'ftp', 'http'],
    nmapOs: 'embedded',
    distros: ['alpine', 'debian'],
  },
  'iot-device': { label: 'IoT device', services: ['mqtt', 'snmp', 'telnet'], nmapOs: 'embedded', distros: ['alpine'] },
  'industrial-control': {
    label: 'Industrial controller (PLC)',
    services: ['conpot', 'snmp', 'http'],
    nmapOs: 'embedded',
    distros: ['debian'],
  },
  'voip-server': { label: 'VoIP server', services: ['sip', 'ssh'], nmapOs: 'linux', distros: ['debian', 'ubuntu22'] },
  'monitoring-node': {
    label: 'Monitoring node',
    services: ['snmp', 'ssh', 'elasticsearch'],
    nmapOs: 'linux',
    distros: ['debian', 'rocky9'],
  },
  'devops-host': {
    label: 'DevOps host',
    services: ['docker_api', 'ssh', 'k8s'],
    nmapOs: 'linux',
    distros: ['ubuntu22', 'debian'],
  },
  'nosql-cluster': {
    label: 'NoSQL node',
    services: ['mongodb', 'redis', 'elasticsearch', 'ssh'],
    nmapOs: 'linux',
    distros: ['ubuntu22', 'debian'],
  },
  'mssql-server': {
    label: 'SQL Server host',
    services: ['mssql', 'smb', 'rdp'],
    nmapOs: 'windows_server',
    distros: ['windows'],
  },
  'remote-desktop': {
    label: 'Remote desktop box',
    services: ['vnc', 'ssh'],
    nmapOs: 'linux',
    distros: ['ubuntu22', 'debian'],
  },
} as const satisfies Record<string, ArchetypeDef>;

export type ArchetypeName = keyof typeof archetypes;
export const archetypeNames = Object.keys(archetypes) as [ArchetypeName, ...ArchetypeName[]];
