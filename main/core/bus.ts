import type { EventName, EventPayload } from '../../shared/ipc/types';

/** Core events, one per contract `ipcEvents` channel, so the shell and SSE forward them unchanged. */
export type MasterEvents = { [E in EventName]: EventPayload<E> };

export type Listener<E extends EventName> = (payload: MasterEvents[E]) => void;
export type AnyListener = <E extends EventName>(event: E, payload: MasterEvents[E]) => void;

export type MasterEventBus = Readonly<{
  on<E extends EventName>(event: E, listener: Listener<E>): () => void;
  /** Every event; used by the IPC forwarder and the SSE stream. */
  onAny(listener: AnyListener): () => void;
  emit<E extends EventName>(event: E, payload: MasterEvents[E]): void;
}>;

/**
 * A tiny typed emitter. A throwing listener is isolated (logged by the caller's `onError`) so one
 * broken subscriber, e.g. a closed SSE socket, never stops a heartbeat from being answered.
 */
export function createEventBus(onError: (err: unknown) => void = () => undefined): MasterEventBus {
  const byName = new Map<EventName, Set<(p: unknown) => void>>();
  const any = new Set<AnyListener>();
  return {
    on(event, listener) {
      let set = byName.get(event);
      if (!set) byName.set(event, (set = new Set()));
      const fn = listener as (p: unknown) => void;
      set.add(fn);
      return () => set.delete(fn);
    },
    onAny(listener) {
      any.add(listener);
      return () => any.delete(listener);
    },
    emit(event, payload) {
      for (const fn of byName.get(event) ?? []) safe(() => fn(payload));
      for (const fn of any) safe(() => fn(event, payload));
    },
  };

  function safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      onError(err);
    }
  }
}
