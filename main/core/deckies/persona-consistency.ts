import { archetypes, type ArchetypeName } from '../../../shared/catalog/archetypes';
import { distros, type DistroName } from '../../../shared/catalog/distros';
import type { NmapOs } from '../../../shared/catalog/os-fingerprints';

/** Windows, or the Linux/BSD/embedded family: what the TTL, banners and versions must agree on. */
export type OsFamily = 'windows' | 'unix';

export function osFamily(os: NmapOs): OsFamily {
  return os.startsWith('windows') ? 'windows' : 'unix';
}

export type PersonaChoice = Readonly<{ distro: DistroName; nmapOs: NmapOs; warnings: string[] }>;

/** Vendor words a banner names its distro by; an ssh/http version naming another one is a tell. */
const vendorWords: ReadonlyArray<readonly [RegExp, OsFamily | DistroName]> = [
  [/debian/i, 'debian'],
  [/ubuntu/i, 'ubuntu22'],
  [/windows|microsoft|iis/i, 'windows'],
];

/**
 * One decky persona: distro (banners, versions) and OS fingerprint (TTL, TCP options) from the
 * same family. An archetype decides the family; a requested distro of the other family is replaced
 * by the archetype's first distro and the preview says so (a `windows-workstation` with Debian's
 * OpenSSH and Apache banners and a Windows TTL is a tell on sight).
 */
export function choosePersona(
  archetypeName: ArchetypeName | undefined,
  requested: DistroName | undefined,
  serviceConfig: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {},
): PersonaChoice {
  const warnings: string[] = [];
  const archetype = archetypeName ? archetypes[archetypeName] : undefined;
  let distro: DistroName = requested ?? archetype?.distros[0] ?? 'debian';
  if (archetype && archetypeName && osFamily(distros[distro].nmapOs) !== osFamily(archetype.nmapOs)) {
    const fixed = archetype.distros[0];
    warnings.push(
      `${archetypeName} is a ${osFamily(archetype.nmapOs) === 'windows' ? 'Windows' : 'Linux'} archetype: distro ${distro} replaced by ${fixed} so its banners and TTL agree`,
    );
    distro = fixed;
  }
  const nmapOs = archetype?.nmapOs ?? distros[distro].nmapOs;
  for (const [service, cfg] of Object.entries(serviceConfig)) {
    for (const key of ['version', 'server', 'banner']) {
      const value = cfg[key];
      if (typeof value !== 'string') continue;
      const named = vendorWords.find(([re]) => re.test(value))?.[1];
      if (!named) continue;
      const agrees =
        named === 'windows'
          ? distro === 'windows'
          : distro === named || (named === 'ubuntu22' && distro.startsWith('ubuntu'));
      if (!agrees)
        warnings.push(`${service}.${key} "${value.slice(0, 80)}" names another OS than the decky's distro ${distro}`);
    }
  }
  return { distro, nmapOs, warnings };
}
