import { execFile } from 'node:child_process';

/** Result of a command: exit code and stdout+stderr, never a rejection. */
export function sh(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? Number((err as { code?: unknown }).code ?? 1) : 0,
          out: String(stdout) + String(stderr),
        });
      },
    );
  });
}

/** Runs a command inside a namespace. */
export function inNs(
  ns: string,
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
) {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.out.trim()}`);
}

/** Why namespace tests cannot run here, or null when they can (root and iproute2 netns). */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'namespace tests need root';
  const r = await sh('ip', ['netns', 'list']);
  return r.code === 0 ? null : `ip netns does not work here: ${r.out.trim()}`;
}

/**
 * A lab of its own: a worker namespace and a client namespace joined by a veth "LAN" in
 * 198.51.100.0/24 (worker .2, client .10, a default route via .1 where nobody answers), and a
 * second veth pair from the root namespace to the worker (203.0.113.0/30 block chosen from the
 * pid) for the master. Every name carries the pid; `destroy` removes all of it and every decky
 * namespace whose name carries `tag`.
 */
export type Lab = Readonly<{
  worker: string;
  client: string;
  masterIp: string;
  workerCtlIp: string;
  workerLanIp: string;
  clientIp: string;
  tag: string;
  destroy: () => Promise<void>;
}>;

export async function createLab(): Promise<Lab> {
  const pid = process.pid;
  const tag = `t${pid}`;
  const worker = `dnt-w-${pid}`;
  const client = `dnt-c-${pid}`;
  const block = 4 * (pid % 60);
  const masterIp = `203.0.113.${block + 1}`;
  const workerCtlIp = `203.0.113.${block + 2}`;
  const rootLink = `dmr${pid}`;
  const lab: Lab = {
    worker,
    client,
    masterIp,
    workerCtlIp,
    workerLanIp: '198.51.100.2',
    clientIp: '198.51.100.10',
    tag,
    destroy: async () => {
      await sh('ip', ['link', 'del', rootLink]);
      const list = await sh('ip', ['netns', 'list']);
      for (const line of list.out.split('\n')) {
        const name = line.split(' ')[0] ?? '';
        if (name === worker || name === client || (name.startsWith('decnet-') && name.includes(tag)))
          await sh('ip', ['netns', 'del', name]);
      }
    },
  };
  try {
    await must('ip', ['netns', 'add', worker]);
    await must('ip', ['netns', 'add', client]);
    await must('ip', ['link', 'add', `dlw${pid}`, 'type', 'veth', 'peer', 'name', `dlc${pid}`]);
    await must('ip', ['link', 'set', `dlw${pid}`, 'netns', worker]);
    await must('ip', ['link', 'set', `dlc${pid}`, 'netns', client]);
    await must('ip', ['-n', worker, 'link', 'set', `dlw${pid}`, 'name', 'lan0']);
    await must('ip', ['-n', client, 'link', 'set', `dlc${pid}`, 'name', 'lan0']);
    for (const [ns, addr] of [
      [worker, lab.workerLanIp],
      [client, lab.clientIp],
    ] as const) {
      await must('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'lan0']);
      await must('ip', ['-n', ns, 'link', 'set', 'lan0', 'up']);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await must('ip', ['-n', worker, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'lan0']);
    await must('ip', ['link', 'add', rootLink, 'type', 'veth', 'peer', 'name', `dmw${pid}`]);
    await must('ip', ['link', 'set', `dmw${pid}`, 'netns', worker]);
    await must('ip', ['addr', 'add', `${masterIp}/30`, 'dev', rootLink]);
    await must('ip', ['link', 'set', rootLink, 'up']);
    await must('ip', ['-n', worker, 'addr', 'add', `${workerCtlIp}/30`, 'dev', `dmw${pid}`]);
    await must('ip', ['-n', worker, 'link', 'set', `dmw${pid}`, 'up']);
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}

/** Why the kernel cannot create `driver` links on the lab's LAN, or null when it can. */
export async function driverUnsupported(lab: Lab, driver: 'macvlan' | 'ipvlan'): Promise<string | null> {
  const name = `dnp${process.pid % 100000}`;
  const kind = driver === 'macvlan' ? ['type', 'macvlan', 'mode', 'bridge'] : ['type', 'ipvlan', 'mode', 'l2'];
  const r = await inNs(lab.worker, 'ip', ['link', 'add', 'link', 'lan0', 'name', name, ...kind]);
  await inNs(lab.worker, 'ip', ['link', 'del', name]);
  return r.code === 0 ? null : `this kernel cannot create ${driver} links (${r.out.trim()})`;
}
