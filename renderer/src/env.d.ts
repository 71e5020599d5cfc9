import type { DecnetBridge } from '../../shared/ipc/types';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser, where the HTTP bridge is used. */
    decnet?: DecnetBridge;
  }
}
