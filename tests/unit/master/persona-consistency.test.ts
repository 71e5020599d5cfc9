import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { personaFor } from '../../../agent/services/kit/persona';
import { archetypeNames, archetypes } from '../../../shared/catalog/archetypes';
import { distroNames, distros } from '../../../shared/catalog/distros';
import { osFingerprints } from '../../../shared/catalog/os-fingerprints';
import { choosePersona, osFamily } from '../../../main/core/deckies/persona-consistency';
import { planDeploy, type PlanHost } from '../../../main/core/deckies/planner';

const host: PlanHost = { uuid: randomUUID(), name: 'w1', local: false, deckyCount: 0 };
const linuxWords = /debian|ubuntu|rocky|centos|fedora|alpine|kali|arch linux|\(unix\)|vsftpd|postfix|dovecot/i;
const windowsWords = /windows|microsoft|iis/i;

describe('persona consistency per archetype', () => {
  for (const name of archetypeNames) {
    const a = archetypes[name];
    const family = osFamily(a.nmapOs);
    // The other family's distro: the request a careless analyst (or the old wizard) sends.
    const wrong = distroNames.find((d) => osFamily(distros[d].nmapOs) !== family)!;

    it(`${name}: distro, OS family (TTL) and every banner agree, even when asked for ${wrong}`, () => {
      for (const distro of [undefined, wrong, ...a.distros]) {
        const plan = planDeploy({ archetype: name, count: 2, ...(distro ? { distro } : {}) }, [], [host]);
        for (const { config } of plan.deckies) {
          expect(a.distros as readonly string[]).toContain(config.distro);
          expect(osFamily(config.nmapOs)).toBe(family);
          expect(osFamily(distros[config.distro].nmapOs)).toBe(family);
          expect(osFingerprints[config.nmapOs].ttl).toBe(
            family === 'windows' ? 128 : osFingerprints[config.nmapOs].ttl,
          );
          for (const service of config.services) {
            const banners = Object.values(personaFor(config, service)).filter(
              (v): v is string => typeof v === 'string',
            );
            for (const b of banners)
              expect(b, `${service} banner "${b}"`).not.toMatch(family === 'windows' ? linuxWords : windowsWords);
          }
        }
        const said = plan.warnings.join('\n');
        if (distro === wrong) expect(said).toContain(`distro ${wrong} replaced by ${a.distros[0]}`);
        else expect(said).not.toContain('replaced');
      }
    });
  }

  it('warns when a persona version names another OS than the distro', () => {
    const c = choosePersona('linux-server', 'rocky9', { ssh: { version: 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.10' } });
    expect(c.warnings).toEqual([
      'ssh.version "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10" names another OS than the decky\'s distro rocky9',
    ]);
    expect(
      choosePersona('linux-server', 'ubuntu22', { ssh: { version: 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.10' } }).warnings,
    ).toEqual([]);
  });
});
