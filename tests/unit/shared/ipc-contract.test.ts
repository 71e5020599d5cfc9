import { describe, expect, it } from 'vitest';
import { AppError, errorCodes, fail, ok, toAppError, unwrap } from '../../../shared/errors';
import { ipcCommands, ipcEvents } from '../../../shared/ipc/contract';

describe('IPC contract', () => {
  it('names commands <domain>.<verb> and events <domain>.<pastTense>, never both', () => {
    for (const c of Object.keys(ipcCommands)) expect(c).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
    for (const e of Object.keys(ipcEvents)) expect(e).toMatch(/^[a-z]+\.[a-z]+ed$/);
    const overlap = Object.keys(ipcCommands).filter((c) => Object.hasOwn(ipcEvents, c));
    expect(overlap).toEqual([]);
  });

  it('has the commands the design names', () => {
    expect(Object.keys(ipcCommands)).toEqual(
      expect.arrayContaining([
        'hosts.list',
        'hosts.enroll',
        'hosts.exportBundle',
        'hosts.check',
        'hosts.decommission',
        'deckies.list',
        'deckies.plan',
        'deckies.deploy',
        'deckies.mutate',
        'deckies.teardown',
        'lifecycle.get',
        'topologies.list',
        'topologies.create',
        'topologies.apply',
        'topologies.teardown',
        'topologies.state',
        'events.list',
        'catalog.get',
        'settings.get',
      ]),
    );
  });

  it('rejects unknown input keys', () => {
    expect(ipcCommands['deckies.teardown'].input.safeParse({ deckyName: 'a', force: true }).success).toBe(false);
  });
});

describe('errors and Result', () => {
  it('maps every code to an HTTP status', () => {
    for (const { status } of Object.values(errorCodes)) expect(status >= 400 && status < 600).toBe(true);
  });

  it('round-trips through the envelope', () => {
    const r = fail(new AppError('CONFLICT', 'decky web-01 exists', { name: 'web-01' }));
    expect(r).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: 'decky web-01 exists', details: { name: 'web-01' } },
    });
    expect(() => unwrap(r)).toThrow(expect.objectContaining({ code: 'CONFLICT', status: 409 }));
    expect(unwrap(ok(3))).toBe(3);
  });

  it('turns foreign errors into INTERNAL', () => {
    expect(toAppError(new TypeError('boom')).code).toBe('INTERNAL');
    expect(toAppError('x').message).toBe('x');
  });
});
