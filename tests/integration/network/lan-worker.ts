import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { AGENT_CLI, freePort, startMaster, type TestMaster } from '../master/harness';
import { inNs, type Lab } from './netns-lab';

export type LanWorker = Readonly<{
  m: TestMaster;
  hostUuid: string;
  agent: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}>;

/**
 * A real master in the root namespace (swarm listener on the lab's control veth) and a real agent
 * enrolled with a join token and run inside the worker namespace with `driver` and nothing else
 * (the parent interface comes from the worker's default route, as with the shipped defaults).
 */
export async function startLanWorker(lab: Lab, dir: string, driver: 'macvlan' | 'ipvlan'): Promise<LanWorker> {
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
  const agent = spawn(
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
      env: { ...process.env, DECNET_AGENT_NETWORK: driver, DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  agent.stdout.on('data', (b: Buffer) => (out += b.toString()));
  agent.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((r) => agent.once('exit', r));
  const stop = async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGTERM');
      await exited;
    }
    await m.stop();
  };
  try {
    await eventually(
      async () => {
        if (agent.exitCode !== null) throw new Error(`agent exited: ${out}`);
        return (await m.call('hosts.list', {})).find((h) => h.uuid === enrolled.hostUuid)?.liveness === 'online';
      },
      { timeoutMs: 20_000, what: 'worker online' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { m, hostUuid: enrolled.hostUuid, agent, output: () => out, stop };
}
