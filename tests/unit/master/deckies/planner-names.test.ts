import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { archetypeNames, archetypes } from '../../../../shared/catalog/archetypes';
import { defaultNamePatterns, NamePattern, nameFromPattern } from '../../../../shared/catalog/naming';
import { DeckyName } from '../../../../shared/domain/decky';
import { DeployPlanRequest } from '../../../../shared/ipc/contract';
import { AppError } from '../../../../shared/errors';
import { planDeploy, type PlanHost } from '../../../../main/core/deckies/planner';

const w1: PlanHost = { uuid: randomUUID(), name: 'w1', local: false, deckyCount: 0 };
const windowsFamily = new Set(['windows', 'windows_server']);

/** The regex a pattern's names must match: its literal parts, and each token's own shape. */
const shapeOf = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/\{n\}/g, '\\d{2,}')
      .replace(/\{nnn\}/g, '\\d{3}')
      .replace(/\{nnnn\}/g, '\\d{4}')
      .replace(/\{(dept|role|site|vendor|env)\}/g, '[a-z0-9]+')
      .replace(/\{floor\}/g, '\\d')}(-\\d{2,})?$`,
  );

describe('decky names that look like the organisation’s machines', () => {
  it.each(archetypeNames)('%s: 30 planned names follow its pattern, are unique and valid, never decky-NN', (a) => {
    const { deckies } = planDeploy({ count: 30, archetype: a }, [], [w1]);
    const names = deckies.map((d) => d.config.name);
    expect(new Set(names).size).toBe(30);
    for (const d of deckies) {
      expect(DeckyName.safeParse(d.config.name).success).toBe(true);
      expect(d.config.name).toMatch(shapeOf(defaultNamePatterns[a]));
      expect(d.config.name).not.toMatch(/^decky|^[a-z-]*-(workstation|server|device)-\d/);
      // NetBIOS/AD style where the OS family uses it; the name itself elsewhere.
      if (windowsFamily.has(archetypes[a].nmapOs)) {
        expect(d.config.hostname).toBe(d.config.name.toUpperCase().slice(0, 15));
        expect(d.config.hostname!.length).toBeLessThanOrEqual(15);
      } else expect(d.config.hostname).toBe(d.config.name);
    }
  });

  it('is deterministic (the previewed plan is the deployed one) and skips names the fleet has', () => {
    const first = planDeploy({ count: 5, archetype: 'windows-workstation' }, [], [w1]).deckies.map(
      (d) => d.config.name,
    );
    expect(
      planDeploy({ count: 5, archetype: 'windows-workstation' }, [], [w1]).deckies.map((d) => d.config.name),
    ).toEqual(first);
    const fleet = first.slice(0, 2).map((name, i) => ({ name, ip: `127.77.1.${i + 1}`, hostName: 'w1' }));
    const next = planDeploy({ count: 3, archetype: 'windows-workstation' }, fleet, [w1]).deckies.map(
      (d) => d.config.name,
    );
    expect(next).toEqual(first.slice(2, 5));
  });

  it('a bounded pattern (no {n}) falls back to -NN once its names are taken', () => {
    const { deckies } = planDeploy({ count: 60, archetype: 'printer' }, [], [w1]);
    const names = deckies.map((d) => d.config.name);
    expect(new Set(names).size).toBe(60);
    expect(names.some((n) => /^prn-\df-[a-z]+$/.test(n))).toBe(true);
    expect(names.some((n) => /^prn-\df-[a-z]+-\d{2,}$/.test(n))).toBe(true);
  });

  it('takes the analyst’s pattern or prefix, and refuses both at once or a bad pattern with the reason', () => {
    const names = planDeploy({ count: 3, services: ['ssh'], namePattern: 'ops-{site}-{nnn}' }, [], [w1]).deckies.map(
      (d) => d.config.name,
    );
    for (const n of names) expect(n).toMatch(/^ops-[a-z0-9]+-\d{3}$/);
    expect(
      planDeploy({ count: 2, services: ['ssh'], namePrefix: 'edge' }, [], [w1]).deckies.map((d) => d.config.name),
    ).toEqual(['edge-01', 'edge-02']);
    const both = (() => {
      try {
        planDeploy({ count: 1, services: ['ssh'], namePrefix: 'a', namePattern: 'b-{n}' }, [], [w1]);
      } catch (e) {
        return e;
      }
    })();
    expect(both).toBeInstanceOf(AppError);
    expect((both as AppError).message).toBe('give a name prefix or a name pattern, not both');
    const bad = (p: string) => NamePattern.safeParse(p).error?.issues[0]?.message;
    expect(bad('ws-{team}-{n}')).toMatch(/^unknown name token \{team\}/);
    expect(bad('ws-fixed')).toMatch(/needs at least one \{token\}/);
    expect(bad('WS-{n}')).toMatch(/lower-case/);
    expect(bad('ws-{n')).toMatch(/needs at least one \{token\}|lower-case/);
    expect(DeployPlanRequest.safeParse({ services: ['ssh'], namePattern: 'x'.repeat(41) + '{n}' }).success).toBe(false);
    expect(nameFromPattern('dc{n}', 1)).toBe('dc01');
  });
});
