import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { AGENT_CLI, freePort, startMaster, type TestMaster } from '../master/harness';
import { inNs, type Lab } from './netns-lab';

export type LanWorker = Readonly<{
  m: TestMaster;
  hostUuid: string;
  agent: () => ChildProcess;
  output: () => string;
  /** kill -9 of the agent, then the same agent started again; resolves once it listens. */
  killAndRestart: () => Promise<void>;
  stop: () => Promise<void>;
}>;

export type LanWorkerOptions = Readonly<{ env?: Record<string, string> }>;

/**
 * A real master in the root namespace (swarm listener on the lab's control veth) and a real agent
 * enrolled with a join token and run inside the worker namespace with `driver` and nothing else
 * (the parent interface comes from the worker's default route, as with the shipped defaults).
 */
export async function startLanWorker(
  lab: Lab,
  dir: string,
  driver: 'macvlan' | 'ipvlan',
  opts: LanWorkerOptions = {},
): Promise<LanWorker> {
  const agentPort = await freePort();
  const m = await startMaster({
    dataDir: join(dir, 'master'),
    agentPort,
    env: { DECNET_SWARM_HOST: lab.masterIp, DECNET_SWARM_ADVERTISE: lab.masterIp },
  });
  const name = `lan-worker-${process.pid}`;
  const enrolled = await m.call('hosts.enroll', { name, address: lab.workerCtlIp });
  const identityDir = join(dir, 'identity');
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  const enroll = await inNs(lab.worker, process.execPath, [
    AGENT_CLI,
    'enroll',
    '--master',
    m.started.swarm.url,
    '--token',
    enrolled.token,
    '--dir',
    identityDir,
    '--name',
    name,
    '--address',
    lab.workerCtlIp,
  ]);
  if (enroll.code !== 0) throw new Error(`enroll failed: ${enroll.out}`);
  let out = '';
  const spawnAgent = () => {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.worker,
        process.execPath,
        AGENT_CLI,
        'run',
        '--dir',
        identityDir,
        '--state-dir',
        stateDir,
        '--listen',
        `${lab.workerCtlIp}:${agentPort}`,
      ],
      {
        env: {
          ...process.env,
          DECNET_AGENT_NETWORK: driver,
          DECNET_HEARTBEAT_INTERVAL_S: '1',
          DECNET_LOG_LEVEL: 'warn',
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    return { child, exited: new Promise((r) => child.once('exit', r)) };
  };
  let agent = spawnAgent();
  const stopAgent = async (signal: NodeJS.Signals) => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill(signal);
      await agent.exited;
    }
  };
  const stop = async () => {
    await stopAgent('SIGTERM');
    await m.stop();
  };
  const killAndRestart = async () => {
    await stopAgent('SIGKILL');
    const before = out.length;
    agent = spawnAgent();
    await eventually(
      () => {
        if (agent.child.exitCode !== null) throw new Error(`agent exited: ${out.slice(before)}`);
        return out.slice(before).includes('listening on');
      },
      { timeoutMs: 20_000, what: 'restarted agent listening' },
    );
  };
  try {
    await eventually(
      async () => {
        if (agent.child.exitCode !== null) throw new Error(`agent exited: ${out}`);
        return (await m.call('hosts.list', {})).find((h) => h.uuid === enrolled.hostUuid)?.liveness === 'online';
      },
      { timeoutMs: 20_000, what: 'worker online' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { m, hostUuid: enrolled.hostUuid, agent: () => agent.child, output: () => out, killAndRestart, stop };
}
