import { describe, expect, it } from 'vitest';
import { serviceNames } from '../../../../shared/catalog/services';
import { serviceModules } from '../../../../agent/services/registry';

describe('service registry', () => {
  it('has a honeypot module for every catalogue service, registered under its own name', () => {
    for (const name of serviceNames) {
      expect(serviceModules[name], `${name} has no module`).toBeDefined();
      expect(serviceModules[name]!.name).toBe(name);
    }
    expect(Object.keys(serviceModules).sort()).toEqual([...serviceNames].sort());
  });
});
