import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  type Receiver,
  startAgentProcess,
  startReceiver,
  STUB_HOST,
  writeWorker,
} from './harness';

describe('self-destruct', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let receiver: Receiver;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-reap-');
  });
  afterAll(async () => {
    await agent?.kill();
    await receiver?.stop();
    await tmp?.remove();
  });

  it('answers 202, then a detached reaper outlives the agent and wipes only the install inside ROOT', async () => {
    const root = join(tmp.dir, 'root');
    const outside = join(tmp.dir, 'outside-decnet-file');
    await writeFile(outside, 'must survive');
    const files = {
      opt: join(root, 'opt/decnet/current/agent.js'),
      etc: join(root, 'etc/decnet/decnet.ini'),
      varLib: join(root, 'var/lib/decnet/x'),
      bin: join(root, 'usr/local/bin/decnet-agent'),
      unit: join(root, 'etc/systemd/system/decnet-agent.service'),
      otherUnit: join(root, 'etc/systemd/system/sshd.service'),
      log: join(root, 'var/log/decnet/agent.log'),
    };
    for (const f of Object.values(files)) {
      await mkdir(join(f, '..'), { recursive: true });
      await writeFile(f, 'x');
    }
    const pki = await createPki(join(tmp.dir, 'master'));
    receiver = await startReceiver(pki);
    const identityDir = join(root, 'etc/decnet/agent');
    const stateDir = join(root, 'var/lib/decnet');
    const worker = await writeWorker(pki, identityDir, receiver.url);
    agent = await startAgentProcess({
      identityDir,
      stateDir,
      env: { DECNET_INSTALL_ROOT: root, DECNET_DECKY_HOST: STUB_HOST, DECNET_HEARTBEAT_INTERVAL_S: '3600' },
    });
    const api = agentCaller(pki, worker.fingerprint, agent.port);
    expect((await api.call('POST', '/deploy', deployBody([deckyConfig('web-01', '127.90.0.10')]))).status).toBe(202);
    await eventually(() => receiver.heartbeats.some((h) => h.lifecycle.length > 0), { what: 'deployed' });

    const res = await api.call('POST', '/self-destruct', {});
    expect(res).toEqual({ status: 202, body: { status: 'accepted' } });
    await api.close();

    const code = await agent.exited;
    expect(code).toBe(0);
    const reaperLog = join(root, 'var/log/decnet/reaper.log');
    await eventually(async () => (await readFile(reaperLog, 'utf8').catch(() => '')).includes('wipe done'), {
      what: 'reaper finished',
      timeoutMs: 20_000,
    });
    const log = await readFile(reaperLog, 'utf8');
    // The wipe started only once the agent had gone: the reaper outlived it.
    expect(log).toMatch(new RegExp(`agent pid ${agent.child.pid} has exited; wiping`));
    for (const f of [files.opt, files.etc, files.varLib, files.bin, files.unit]) expect(existsSync(f), f).toBe(false);
    expect(existsSync(join(root, 'opt/decnet'))).toBe(false);
    expect(existsSync(join(root, 'etc/decnet'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/decnet'))).toBe(true);
    expect(existsSync(join(root, 'var/lib/decnet/state.json'))).toBe(false);
    expect(existsSync(files.otherUnit)).toBe(true);
    expect(await readFile(files.log, 'utf8')).toBe('x');
    expect(await readFile(outside, 'utf8')).toBe('must survive');
    const script = /"scriptPath":"([^"]+)"/.exec(agent.output())?.[1];
    expect(script).toMatch(/^\/tmp\/decnet-reaper-[0-9a-f]+\.sh$/);
    await eventually(() => !existsSync(script!), { what: 'reaper removed itself' });
  });
});
