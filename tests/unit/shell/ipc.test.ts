import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import { ipcCommands } from '../../../shared/ipc/contract';
import type { CommandHandlers } from '../../../shared/ipc/types';
import { registerIpc, type IpcRegistrar } from '../../../main/shell/ipc';
import { createPreloadBridge } from '../../../main/preload/bridge';

type Handler = (event: unknown, raw: unknown) => Promise<unknown>;

function fakeIpcMain(): IpcRegistrar & { registered: Map<string, Handler> } {
  const registered = new Map<string, Handler>();
  return {
    registered,
    handle: (channel: string, fn: Handler) => void registered.set(channel, fn),
    removeHandler: (channel: string) => void registered.delete(channel),
  } as never;
}

function handlersWith(overrides: Partial<CommandHandlers>): CommandHandlers {
  const all = Object.fromEntries(
    Object.keys(ipcCommands).map((c) => [
      c,
      () => Promise.reject(new AppError('NOT_FOUND', `${c} not wired in this test`)),
    ]),
  );
  return { ...all, ...overrides } as CommandHandlers;
}

const log = { error: () => undefined };

describe('registerIpc', () => {
  it('registers exactly one handler per contract command and removes them all', () => {
    const ipcMain = fakeIpcMain();
    const dispose = registerIpc({ ipcMain, handlers: handlersWith({}), isTrustedSender: () => true, log });
    expect([...ipcMain.registered.keys()].sort()).toEqual(Object.keys(ipcCommands).sort());
    dispose();
    expect(ipcMain.registered.size).toBe(0);
  });

  it('returns a Result for bad input without running the handler', async () => {
    const ipcMain = fakeIpcMain();
    let ran = false;
    registerIpc({
      ipcMain,
      handlers: handlersWith({
        'deckies.teardown': () => ((ran = true), Promise.resolve({ lifecycleId: crypto.randomUUID() })),
      }),
      isTrustedSender: () => true,
      log,
    });
    const r = await ipcMain.registered.get('deckies.teardown')!({}, { deckyName: 'Bad Name' });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('deckyName: decky name must be') },
    });
    expect(ran).toBe(false);
  });

  it('turns a thrown error into a Result, keeping AppError codes and hiding others as INTERNAL', async () => {
    const ipcMain = fakeIpcMain();
    const logged: string[] = [];
    registerIpc({
      ipcMain,
      handlers: handlersWith({ 'hosts.list': () => Promise.reject(new TypeError('db exploded')) }),
      isTrustedSender: () => true,
      log: { error: (m) => logged.push(m) },
    });
    await expect(ipcMain.registered.get('hosts.list')!({}, {})).resolves.toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'db exploded' },
    });
    await expect(ipcMain.registered.get('settings.get')!({}, {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(logged).toEqual(['hosts.list failed']);
  });

  it('refuses untrusted senders', async () => {
    const ipcMain = fakeIpcMain();
    registerIpc({
      ipcMain,
      handlers: handlersWith({ 'hosts.list': () => Promise.resolve([]) }),
      isTrustedSender: () => false,
      log,
    });
    await expect(ipcMain.registered.get('hosts.list')!({}, {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('resolves ok with the handler value', async () => {
    const ipcMain = fakeIpcMain();
    registerIpc({
      ipcMain,
      handlers: handlersWith({ 'hosts.list': () => Promise.resolve([]) }),
      isTrustedSender: () => true,
      log,
    });
    await expect(ipcMain.registered.get('hosts.list')!({}, undefined)).resolves.toEqual({ ok: true, value: [] });
  });
});

describe('preload bridge', () => {
  function fakeIpcRenderer() {
    const calls: string[] = [];
    const listeners = new Map<string, (...a: unknown[]) => void>();
    return {
      calls,
      listeners,
      invoke: (ch: string) => (calls.push(ch), Promise.resolve({ ok: true, value: [] })),
      on: (ch: string, fn: (...a: unknown[]) => void) => void listeners.set(ch, fn),
      removeListener: (ch: string) => void listeners.delete(ch),
    };
  }

  it('invokes contract commands and refuses unknown channels', async () => {
    const ipc = fakeIpcRenderer();
    const bridge = createPreloadBridge(ipc as never);
    await expect(bridge.invoke('hosts.list', {})).resolves.toEqual({ ok: true, value: [] });
    await expect(bridge.invoke('shell.exec' as never, {} as never)).rejects.toThrow('unknown command shell.exec');
    expect(ipc.calls).toEqual(['hosts.list']);
  });

  it('subscribes to contract events only, without exposing the IPC event object', () => {
    const ipc = fakeIpcRenderer();
    const bridge = createPreloadBridge(ipc as never);
    const seen: unknown[][] = [];
    const off = bridge.on('hosts.changed', (...args: unknown[]) => seen.push(args));
    ipc.listeners.get('hosts.changed')!({ sender: 'secret' }, { hostUuids: [] });
    expect(seen).toEqual([[{ hostUuids: [] }]]);
    off();
    expect(ipc.listeners.has('hosts.changed')).toBe(false);
    expect(() => bridge.on('ipc.raw' as never, () => undefined)).toThrow('unknown event ipc.raw');
  });
});
