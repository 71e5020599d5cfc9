import type { DistroName } from '../../../shared/catalog/distros';
import { distros } from '../../../shared/catalog/distros';
import type { DeckyConfig } from '../../../shared/domain/decky';
import { compareOids, type SnmpValue } from './snmp-codec';

/** `uname -v` per distro, so that sysDescr reads like net-snmp's on that kernel. */
const unameV: Record<DistroName, string> = {
  debian: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)',
  ubuntu22: '#129-Ubuntu SMP Fri Aug 2 19:25:20 UTC 2024',
  ubuntu20: '#216-Ubuntu SMP Thu Aug 29 13:26:53 UTC 2024',
  rocky9: '#1 SMP PREEMPT_DYNAMIC Wed Aug 28 12:25:03 UTC 2024',
  centos7: '#1 SMP Wed Jun 5 14:26:44 UTC 2024',
  alpine: '#1-Alpine SMP PREEMPT_DYNAMIC 2024-10-22 11:57:08',
  fedora: '#1 SMP PREEMPT_DYNAMIC Wed Oct 23 17:24:18 UTC 2024',
  kali: '#1 SMP PREEMPT_DYNAMIC Kali 6.11.2-1kali1 (2024-10-15)',
  arch: '#1 SMP PREEMPT_DYNAMIC Fri, 01 Nov 2024 03:30:41 +0000',
  windows: '',
};

export type SystemGroup = Readonly<{
  sysDescr: string;
  sysObjectID: string;
  sysContact: string;
  sysName: string;
  sysLocation: string;
  sysServices: number;
}>;

/**
 * The system group a decky's agent reports when the analyst set nothing: net-snmp's stock
 * Debian-family configuration on Linux deckies, vendor strings on printers and PLCs.
 */
export function defaultSystemGroup(decky: DeckyConfig, hostname: string): SystemGroup {
  switch (decky.archetype) {
    case 'printer':
      return {
        sysDescr: 'HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24090012,CIDATE 06/17/2019',
        sysObjectID: '1.3.6.1.4.1.11.2.3.9.1',
        sysContact: '',
        sysName: hostname,
        sysLocation: '',
        sysServices: 72,
      };
    case 'industrial-control':
      return {
        sysDescr: 'Schneider Electric BMX P34 2020 Modicon M340 CPU',
        sysObjectID: '1.3.6.1.4.1.3833.1.7.255.10',
        sysContact: '',
        sysName: hostname,
        sysLocation: '',
        sysServices: 78,
      };
    default:
      if (decky.distro === 'windows') {
        // The Windows SNMP service's sysDescr and sysObjectID (1.3.6.1.4.1.311.1.1.3.1.1: workstation).
        const build = distros.windows.kernel.split('.')[2] ?? '19045';
        return {
          sysDescr: `Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build ${build} Multiprocessor Free)`,
          sysObjectID: '1.3.6.1.4.1.311.1.1.3.1.1',
          sysContact: '',
          sysName: hostname.toUpperCase(),
          sysLocation: '',
          sysServices: 76,
        };
      }
      return {
        sysDescr: `Linux ${hostname} ${distros[decky.distro].kernel} ${unameV[decky.distro]} x86_64`,
        // NET-SNMP-TC::linux
        sysObjectID: '1.3.6.1.4.1.8072.3.2.10',
        // Debian's /etc/snmp/snmpd.conf ships these two lines; most installs never change them.
        sysContact: 'Me <me@example.org>',
        sysName: hostname,
        sysLocation: 'Sitting on the Dock of the Bay',
        sysServices: 72,
      };
  }
}

export type MibEntry = Readonly<{ oid: string; value: () => SnmpValue }>;

/** The system group (1.3.6.1.2.1.1) as a sorted table; `uptimeTicks` is read on every request. */
export function systemMib(sys: SystemGroup, uptimeTicks: () => number, lastChangeTicks: number): MibEntry[] {
  const s = (value: string) => () => ({ type: 'string', value }) as const;
  const entries: MibEntry[] = [
    { oid: '1.3.6.1.2.1.1.1.0', value: s(sys.sysDescr) },
    { oid: '1.3.6.1.2.1.1.2.0', value: () => ({ type: 'oid', value: sys.sysObjectID }) },
    { oid: '1.3.6.1.2.1.1.3.0', value: () => ({ type: 'ticks', value: uptimeTicks() }) },
    { oid: '1.3.6.1.2.1.1.4.0', value: s(sys.sysContact) },
    { oid: '1.3.6.1.2.1.1.5.0', value: s(sys.sysName) },
    { oid: '1.3.6.1.2.1.1.6.0', value: s(sys.sysLocation) },
    { oid: '1.3.6.1.2.1.1.7.0', value: () => ({ type: 'int', value: sys.sysServices }) },
    { oid: '1.3.6.1.2.1.1.8.0', value: () => ({ type: 'ticks', value: lastChangeTicks }) },
  ];
  return entries.sort((a, b) => compareOids(a.oid, b.oid));
}

/** The first entry strictly after `oid`, or undefined at the end of the view. */
export function nextEntry(mib: readonly MibEntry[], oid: string): MibEntry | undefined {
  return mib.find((e) => compareOids(e.oid, oid) > 0);
}
