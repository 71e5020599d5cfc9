import type { DeckyConfig } from '../../../shared/domain/decky';
import { ntlmIdentity, type NtlmIdentity } from '../codecs/ntlm-codec';
import { deckyHostname, personaString, type Persona } from './persona';

export type WindowsVersion = readonly [number, number, number];

/**
 * The Windows build a decky claims in NTLM VERSION fields and the like: servers (and domain
 * controllers) look like Server 2022, workstations like Windows 10 22H2, and an SMB persona capped
 * at 2.1 like the Windows 7 / 2008 R2 generation that stopped there.
 */
export function windowsVersion(decky: DeckyConfig, maxDialect = 0x0311): WindowsVersion {
  if (maxDialect < 0x0300) return [6, 1, 7601];
  const server =
    decky.nmapOs === 'windows_server' || (decky.archetype !== undefined && /server|controller/.test(decky.archetype));
  return server ? [10, 0, 20348] : [10, 0, 19045];
}

/** True when the decky imitates a Windows machine (archetype or OS fingerprint). */
export function looksWindows(decky: DeckyConfig): boolean {
  return (
    decky.nmapOs.startsWith('windows') ||
    (decky.archetype?.startsWith('windows') ?? false) ||
    decky.archetype === 'domain-controller' ||
    decky.archetype === 'mssql-server'
  );
}

/** Default NetBIOS domain: a domain controller's archetype implies a domain, others a workgroup. */
export function defaultDomain(decky: DeckyConfig): string {
  return decky.archetype === 'domain-controller' || decky.archetype === 'windows-server' ? 'CORP' : 'WORKGROUP';
}

export function windowsNtlmIdentity(decky: DeckyConfig, persona: Persona, maxDialect = 0x0311): NtlmIdentity {
  const host = personaString(persona, 'hostname', deckyHostname(decky));
  const domain = personaString(persona, 'domain', defaultDomain(decky));
  return ntlmIdentity(host, domain, windowsVersion(decky, maxDialect));
}
