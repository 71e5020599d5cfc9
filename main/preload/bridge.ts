import type { IpcRenderer } from 'electron';
import { ipcCommands, ipcEvents } from '../../shared/ipc/contract';
import type { DecnetBridge } from '../../shared/ipc/types';

/**
 * Builds `window.decnet`: invoke and on only, each checked against the contract's names. The
 * renderer never sees ipcRenderer nor the IPC event object.
 */
export function createPreloadBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): DecnetBridge {
  const commands = new Set(Object.keys(ipcCommands));
  const events = new Set(Object.keys(ipcEvents));
  const invoke = (command: string, input: unknown): Promise<unknown> => {
    if (!commands.has(command)) return Promise.reject(new Error(`unknown command ${command}`));
    return ipc.invoke(command, input) as Promise<unknown>;
  };
  const on = (event: string, listener: (payload: unknown) => void): (() => void) => {
    if (!events.has(event)) throw new Error(`unknown event ${event}`);
    const wrapped = (_e: unknown, payload: unknown): void => listener(payload);
    ipc.on(event, wrapped);
    return () => {
      ipc.removeListener(event, wrapped);
    };
  };
  return { invoke, on } as DecnetBridge;
}
