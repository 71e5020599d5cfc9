import type { ServiceName } from '../../../shared/catalog/services';
import { DeckyConfig, withServices } from '../../../shared/domain/decky';
import type { LifecycleTrigger } from '../../../shared/domain/lifecycle';
import { AppError, describeZodError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { AgentPool } from '../agents/agent-pool';
import type { Clock } from '../clock';
import { failDispatch } from './dispatch-failure';
import type { MasterEventBus } from '../bus';
import type { LifecycleService } from './lifecycle-service';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';

export type MutateResult =
  { lifecycleId: string } | { dryRun: true; deckyName: string; before: ServiceName[]; after: ServiceName[] };

/**
 * deckies.mutate: changes a decky's service list. A swarm decky goes to its worker through the
 * AgentClient; a master-resident decky (hostUuid null) takes the local path, the embedded agent.
 * The fleet record changes only when the delta says succeeded (unlike the original, its §13.17).
 */
export function createMutator(
  deps: Readonly<{
    store: Store;
    lifecycle: LifecycleService;
    agents: AgentPool;
    events: MasterEventBus;
    clock: Clock;
    log: Logger;
    defer: (fn: () => Promise<void>) => void;
  }>,
) {
  const { store, lifecycle } = deps;

  const hostFor = (deckyName: string, hostUuid: string | null, placedOn: string | null): HostRecord => {
    if (hostUuid === null) {
      const local = store.hosts.local();
      if (!local)
        throw new AppError(
          'AGENT_UNREACHABLE',
          `${deckyName} is master-resident but the local agent is disabled (--no-local-agent)`,
        );
      return local;
    }
    const host = store.hosts.get(placedOn ?? hostUuid);
    if (!host) throw new AppError('NOT_FOUND', `the host of ${deckyName} (${hostUuid}) is no longer enrolled`);
    return host;
  };

  return {
    /** Which host a decky's mutation goes to (the scheduler skips deckies whose host is offline). */
    hostOf: (rec: {
      config: { name: string; hostUuid: string | null };
      placedOn: string | null;
    }): HostRecord | null => {
      try {
        return hostFor(rec.config.name, rec.config.hostUuid, rec.placedOn);
      } catch {
        return null;
      }
    },
    async mutate(args: {
      deckyName: string;
      services: ServiceName[];
      dryRun?: boolean | undefined;
      trigger?: LifecycleTrigger;
    }): Promise<MutateResult> {
      const trigger = args.trigger ?? 'operator';
      const rec = store.fleet.get(args.deckyName);
      if (!rec) throw new AppError('NOT_FOUND', `no decky named ${args.deckyName}`);
      if (rec.state === 'pending')
        throw new AppError(
          'CONFLICT',
          `${args.deckyName} is still being deployed; mutate it once its deploy has finished`,
        );
      if (rec.pendingMutation)
        throw new AppError(
          'CONFLICT',
          `a mutate of ${args.deckyName} is already in progress (lifecycle ${rec.pendingMutation.lifecycleId})`,
        );
      const next = DeckyConfig.safeParse(withServices(rec.config, args.services));
      if (!next.success)
        throw new AppError('INVALID_INPUT', `mutate of ${args.deckyName}: ${describeZodError(next.error)}`);
      const host = hostFor(args.deckyName, rec.config.hostUuid, rec.placedOn);
      const client = deps.agents.for(host);

      if (args.dryRun) {
        // The worker validates against its own state; nothing changes on either side.
        const answer = await client.mutate({ deckyId: args.deckyName, services: args.services, dryRun: true });
        return { dryRun: true, deckyName: args.deckyName, before: [...rec.config.services], after: answer.services };
      }

      const [row] = lifecycle.create([
        { deckyName: args.deckyName, hostUuid: rec.config.hostUuid, operation: 'mutate', trigger },
      ]);
      const id = row!.id;
      store.fleet.patch(args.deckyName, { pendingMutation: { lifecycleId: id, services: args.services, trigger } });
      deps.defer(async () => {
        try {
          await client.mutate({ deckyId: args.deckyName, services: args.services, lifecycleId: id });
          lifecycle.markRunning([id]);
        } catch (err) {
          failDispatch(deps, host, [id], `mutate of ${args.deckyName}`, err);
        }
      });
      return { lifecycleId: id };
    },
  };
}
