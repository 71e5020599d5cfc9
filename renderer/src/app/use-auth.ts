import { useSyncExternalStore } from 'react';
import { needsLogin, subscribeAuth } from '../api/bridge';

/** True while the browser console has no session token (Electron never needs one). */
export function useNeedsLogin(): boolean {
  return useSyncExternalStore(subscribeAuth, needsLogin, needsLogin);
}
