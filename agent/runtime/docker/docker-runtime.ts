import { createHash } from 'node:crypto';
import { chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { DeckyRuntimeState } from '../../../shared/domain/agent-status';
import { DeckyConfig } from '../../../shared/domain/decky';
import { AttackerEvent } from '../../../shared/domain/events';
import { AppError, toAppError } from '../../../shared/errors';
import { createLimiter } from '../../../shared/node/serial';
import { isLoopbackIp, safeJson, sameConfig } from '../native/native-runtime';
import type { Runtime, RuntimeContext } from '../types';
import {
  type ComposeNetwork,
  composeDecky,
  hostIdFor,
  LABEL,
  projectName,
  serviceUid,
  startMessageFor,
} from './compose-file';
import { createContainerLink, type ContainerLink } from './container-link';
import { createDockerCli, type DockerCli, failureLine, withRetries } from './docker-cli';
import { buildDeckyImage, defaultImageSource, type ImageSource } from './decky-image';
import { ensureLanNetwork, removeLabelled } from './docker-network';

export type DockerRuntimeOptions = Readonly<{
  cli?: DockerCli;
  image?: ImageSource;
  /** How long a decky's services have to report ready after `compose up` (default 60 s). */
  readyTimeoutMs?: number;
  /** Deckies brought up at once (default: the CPU count, at least 2). */
  maxConcurrentStarts?: number;
  logLevel?: string;
}>;

export type DockerRuntime = Runtime & Readonly<{ attach: () => Promise<void>; detach: () => Promise<void> }>;

type Decky = { config: DeckyConfig; links: Map<string, ContainerLink>; error?: string };

/**
 * Deckies as docker compose projects (compose-file.ts), one per decky: a deploy that adds
 * deckies never touches running ones (the original restarts its whole shard, its §13.16), a
 * mutate rewrites one project and compose recreates only the containers whose definition changed.
 * The engine owns the containers, so they outlive the agent; the agent talks to each service
 * container's decky host over a unix socket in a bind-mounted directory, exactly the native
 * runtime's protocol, for readiness and for events (spooled in the container until acked).
 */
export function createDockerRuntime(ctx: RuntimeContext, opts: DockerRuntimeOptions = {}): DockerRuntime {
  const cli = opts.cli ?? createDockerCli();
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const root = join(ctx.hostsDir ?? join(ctx.dataDir, '.hosts'), 'docker');
  const deckies = new Map<string, Decky>();
  const chains = new Map<string, Promise<unknown>>();
  /** One operation per decky at a time, in call order; different deckies run in parallel. */
  const serial = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const next = (chains.get(name) ?? Promise.resolve()).catch(() => undefined).then(fn);
    chains.set(name, next);
    void next.finally(() => chains.get(name) === next && chains.delete(name)).catch(() => undefined);
    return next;
  };
  let image: Promise<string> | null = null;
  let network: Promise<ComposeNetwork> | null = null;
  const memo = <T>(p: Promise<T>, reset: () => void): Promise<T> => (p.catch(reset), p);
  const ensureImage = () =>
    (image ??= memo(
      buildDeckyImage(cli, opts.image ?? defaultImageSource(), (text) => ctx.log.info(text)),
      () => (image = null),
    ));
  const ensureNetwork = () =>
    (network ??= memo(
      ctx.network === 'loopback' || !ctx.deckyNetwork
        ? Promise.resolve<ComposeNetwork>({ kind: 'loopback' })
        : ensureLanNetwork(cli, ctx.network, ctx.deckyNetwork.host).then((name) => ({ kind: 'lan' as const, name })),
      () => (network = null),
    ));

  /** Short, fixed-length directory per decky: unix socket paths inside it stay under 108 bytes. */
  const dirOf = (name: string) => join(root, createHash('sha256').update(name).digest('hex').slice(0, 12));
  const paths = (name: string) => {
    const d = dirOf(name);
    return {
      dir: d,
      conf: join(d, 'conf'),
      run: join(d, 'run'),
      compose: join(d, 'compose.json'),
      data: join(ctx.dataDir, name),
    };
  };

  const validate = (decky: DeckyConfig): void => {
    if (ctx.network === 'loopback' && !isLoopbackIp(decky.ip))
      throw new AppError(
        'INVALID_INPUT',
        `decky ${decky.name}: ip ${decky.ip} is not in 127.0.0.0/8, which the loopback network driver requires`,
      );
    if (ctx.network !== 'loopback' && !ctx.deckyNetwork)
      throw new AppError(
        'INVALID_INPUT',
        `the ${ctx.network} network driver has no parent interface configured; run the agent with --parent IFACE`,
      );
  };

  const link = (name: string, service: string) =>
    createContainerLink({
      socketPath: join(paths(name).run, `${hostIdFor(name, service)}.sock`),
      decky: name,
      service,
      onEvent: ctx.onEvent,
      flushEvents: ctx.flushEvents ?? (() => Promise.resolve()),
      clock: ctx.clock,
      log: ctx.log,
    });

  const stateOf = (d: Decky): DeckyRuntimeState => {
    const services: DeckyRuntimeState['services'] = {};
    let restarts = 0;
    for (const s of d.config.services) {
      const l = d.links.get(s);
      restarts += l?.restarts() ?? 0;
      services[s] = l?.ready()?.services[s] ?? (l?.connected() ? 'starting' : 'stopped');
    }
    const running = Object.values(services).every((s) => s === 'running');
    return { running, restarts, services, ...(d.error ? { error: d.error.slice(0, 2000) } : {}) };
  };

  const writeFiles = async (decky: DeckyConfig, net: ComposeNetwork, img: string) => {
    const p = paths(decky.name);
    await rm(p.conf, { recursive: true, force: true });
    await mkdir(p.conf, { recursive: true, mode: 0o755 });
    for (const dir of [p.run, p.data]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chownTree(dir, serviceUid(net));
    }
    await writeFile(join(p.conf, 'decky.json'), JSON.stringify(decky), { mode: 0o644 });
    for (const s of decky.services)
      await writeFile(join(p.conf, `${s}.start.json`), JSON.stringify(startMessageFor(decky, s)), { mode: 0o644 });
    const doc = composeDecky({
      decky,
      image: img,
      network: net,
      confDir: p.conf,
      runDir: p.run,
      dataDir: p.data,
      ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    });
    await writeFile(p.compose, JSON.stringify(doc, null, 2), { mode: 0o600 });
  };

  /** Events a removed container had not handed over yet: read from its spool, then its files go. */
  const salvage = async (name: string) => {
    const run = paths(name).run;
    const files = (await readdir(run).catch(() => [])).filter((f) => f.endsWith('.events.jsonl'));
    for (const f of files) {
      const text = await readFile(join(run, f), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        const e = line.trim() ? AttackerEvent.safeParse(safeJson(line)) : null;
        if (e?.success) ctx.onEvent(e.data);
      }
    }
    await ctx.flushEvents?.();
  };

  const removeProject = async (name: string) => {
    const d = deckies.get(name);
    deckies.delete(name);
    for (const l of d?.links.values() ?? []) l.close();
    const p = paths(name);
    const r = await withRetries(() =>
      cli.compose(projectName(name), p.compose, ['down', '-v', '--remove-orphans', '-t', '5']),
    );
    // No compose file (a decky never written): remove by label instead.
    if (r.code !== 0) {
      const ids = await cli.docker(['ps', '-aq', '--filter', `label=${LABEL.decky}=${name}`]);
      const list = ids.stdout.split('\n').filter(Boolean);
      if (list.length) await cli.docker(['rm', '-f', '-v', ...list]);
    }
    await salvage(name);
    await rm(p.dir, { recursive: true, force: true });
  };

  // Starting a decky is CPU-bound (compose, node start-up, first-run host keys): a 100-decky deploy
  // that starts everything at once makes every start slow enough to miss its ready deadline.
  const startSlot = createLimiter(opts.maxConcurrentStarts ?? Math.max(2, availableParallelism()));

  const up = (decky: DeckyConfig) =>
    serial(decky.name, () =>
      startSlot(async () => {
        validate(decky);
        const current = deckies.get(decky.name);
        if (current && sameConfig(current.config, decky) && stateOf(current).running) return;
        const [img, net] = await Promise.all([ensureImage(), ensureNetwork()]);
        await writeFiles(decky, net, img);
        const p = paths(decky.name);
        const r = await withRetries(() =>
          cli.compose(projectName(decky.name), p.compose, ['up', '-d', '--remove-orphans'], { timeoutMs: 5 * 60_000 }),
        );
        for (const l of current?.links.values() ?? []) l.close();
        const d: Decky = { config: decky, links: new Map() };
        deckies.set(decky.name, d);
        if (r.code !== 0) {
          await removeProject(decky.name);
          throw new AppError('INTERNAL', `decky ${decky.name}: compose up failed: ${failureLine(r)}`);
        }
        for (const s of decky.services) d.links.set(s, link(decky.name, s));
        try {
          const readies = await Promise.all([...d.links.values()].map((l) => l.waitReady(readyTimeoutMs)));
          const failed = readies.flatMap((rd) => Object.entries(rd.errors).map(([s, e]) => `${s}: ${e}`));
          if (failed.length) throw new AppError('INTERNAL', `decky ${decky.name}: ${failed.join('; ')}`);
        } catch (err) {
          await removeProject(decky.name);
          throw toAppError(err);
        }
      }),
    );

  const attach = async () => {
    const r = await cli.docker(['ps', '-a', '--filter', `label=${LABEL.managed}=true`, '--format', '{{json .Labels}}']);
    if (r.code !== 0) return ctx.log.warn('cannot list decky containers; none re-attached', { err: failureLine(r) });
    const names = new Set<string>();
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const m = new RegExp(`(?:^"|,)${LABEL.decky.replace(/\./g, '\\.')}=([a-z0-9-]+)`).exec(line);
      if (m?.[1]) names.add(m[1]);
    }
    for (const name of names) {
      const text = await readFile(join(paths(name).conf, 'decky.json'), 'utf8').catch(() => null);
      const parsed = text ? DeckyConfig.safeParse(safeJson(text)) : null;
      if (!parsed?.success) {
        ctx.log.warn('a decky container has no readable config; leaving it alone', { decky: name });
        continue;
      }
      const d: Decky = { config: parsed.data, links: new Map() };
      for (const s of parsed.data.services) d.links.set(s, link(name, s));
      deckies.set(name, d);
      ctx.log.info('re-attached to decky containers', { decky: name, services: parsed.data.services });
    }
  };

  const downAll = async () => {
    const names = [...deckies.keys()];
    await Promise.all(names.map((n) => serial(n, () => removeProject(n))));
    const left = await removeLabelled(cli);
    if (left.containers + left.networks + left.volumes > 0) ctx.log.info('removed labelled docker objects', left);
    await rm(root, { recursive: true, force: true });
    network = null;
  };

  return {
    name: 'docker',
    validate,
    up,
    down: async (name) => (name === undefined ? downAll() : serial(name, () => removeProject(name))),
    status: () => Object.fromEntries([...deckies].map(([n, d]) => [n, stateOf(d)])),
    close: downAll,
    attach,
    detach: () => {
      for (const d of deckies.values()) for (const l of d.links.values()) l.close();
      deckies.clear();
      return Promise.resolve();
    },
  };
}

/** The decky's directories belong to the user its service containers run as (host keys, sockets, spools). */
async function chownTree(dir: string, uid: number): Promise<void> {
  await chown(dir, uid, uid);
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    await chown(join(e.parentPath, e.name), uid, uid).catch(() => undefined);
  }
}
