import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { ServiceName } from '../../../shared/catalog/services';
import type { AttackerEvent } from '../../../shared/domain/events';
import type { Logger } from '../../../shared/node/logger';
import { notImplemented, type ReadyMessage, type StartMessage } from './decky-host-protocol';
import { personaFor, serviceModules } from '../../services/registry';
import type { RunningService, ServiceModule } from '../../services/kit/types';

export type RunningDecky = Readonly<{
  ready: ReadyMessage;
  /** Closes every running service; safe to call twice. */
  stop: () => Promise<void>;
}>;

export type StartDeckyOptions = Readonly<{
  log: Logger;
  emit: (event: AttackerEvent) => void;
  /** Defaults to the registry; tests substitute modules. */
  modules?: Readonly<Partial<Record<ServiceName, ServiceModule>>>;
}>;

/**
 * Starts every service of the decky on its IP. A service that cannot start (no module yet, port
 * in use…) is reported failed with a one-line reason; the others keep running.
 */
export async function startDecky(msg: StartMessage, opts: StartDeckyOptions): Promise<RunningDecky> {
  const { decky, dataDir } = msg;
  const modules = opts.modules ?? serviceModules;
  const portMap = msg.portMap ?? {};
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const running = new Map<ServiceName, RunningService>();
  const ready: ReadyMessage = { type: 'ready', name: decky.name, services: {}, errors: {}, bound: {} };

  await Promise.all(
    decky.services.map(async (service) => {
      const module = modules[service];
      if (!module) {
        ready.services[service] = 'failed';
        ready.errors[service] = notImplemented;
        return;
      }
      const log = opts.log.child({ service });
      try {
        const svc = await module.start({
          decky,
          service,
          host: decky.ip,
          port: (p) => portMap[String(p)] ?? p,
          persona: personaFor(decky, service),
          dataDir,
          log,
          capture: (i) => {
            // A capture must never throw back into a protocol handler.
            try {
              opts.emit({
                id: randomUUID(),
                ts: new Date().toISOString(),
                decky: decky.name,
                service,
                src: i.src.slice(0, 64),
                kind: i.kind,
                data: i.data,
              });
            } catch (err) {
              log.error('event emit failed', { err });
            }
          },
        });
        running.set(service, svc);
        ready.services[service] = 'running';
        (ready.bound ??= {})[service] = [...svc.bound];
      } catch (err) {
        ready.services[service] = 'failed';
        ready.errors[service] = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'failed';
        log.warn('service failed to start', { error: ready.errors[service] });
      }
    }),
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= Promise.allSettled([...running.values()].map((s) => s.close())).then((results) => {
      for (const r of results)
        if (r.status === 'rejected') opts.log.warn('service close failed', { err: r.reason as unknown });
    }));
  return { ready, stop };
}
