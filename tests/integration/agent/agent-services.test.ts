import { execFile, spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  paths,
  type Receiver,
  startAgentProcess,
  startReceiver,
  writeWorker,
} from './harness';
import { sshPasswordFlags } from '../../helpers/ssh-client';

const deckies = [
  { name: 'web-01', ip: '127.91.0.10' },
  { name: 'web-02', ip: '127.91.0.11' },
];
const sshFlags = [...sshPasswordFlags];

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/** Real deckies (out/agent/decky-host.js) on loopback addresses, reached by the real clients. */
describe('native runtime with real services and real clients', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let receiver: Receiver;
  let agent: AgentProcess;
  let api: ReturnType<typeof agentCaller>;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-services-');
    const p = paths(tmp.dir);
    const pki = await createPki(p.ca);
    receiver = await startReceiver(pki);
    const worker = await writeWorker(pki, p.identity, receiver.url);
    agent = await startAgentProcess({
      identityDir: p.identity,
      stateDir: p.state,
      env: { DECNET_HEARTBEAT_INTERVAL_S: '3600' },
    });
    api = agentCaller(pki, worker.fingerprint, agent.port);
  });
  afterAll(async () => {
    await api?.close();
    await agent?.kill('SIGTERM');
    await receiver?.stop();
    await tmp?.remove();
  });

  it('deploys two deckies whose ssh, http, ftp and telnet answer real clients; credentials reach /swarm/events', async () => {
    const res = await api.call(
      'POST',
      '/deploy',
      deployBody(deckies.map((d) => deckyConfig(d.name, d.ip, ['ssh', 'http', 'ftp', 'telnet']))),
    );
    expect(res.status).toBe(202);
    await eventually(
      () =>
        deckies.every((d) =>
          receiver.heartbeats.some((h) => h.lifecycle.some((x) => x.deckyName === d.name && x.status === 'succeeded')),
        ),
      {
        what: 'both deploy deltas',
        timeoutMs: 30_000,
      },
    );
    const status = await api.call('GET', '/status');
    for (const d of deckies)
      expect(status.body.runtime[d.name]).toEqual({
        running: true,
        restarts: 0,
        services: { ssh: 'running', http: 'running', ftp: 'running', telnet: 'running' },
      });

    for (const [i, d] of deckies.entries()) {
      const askpass = join(tmp.dir, `askpass-${i}`);
      await writeFile(askpass, `#!/bin/sh\necho 'ssh-pw-${i}'\n`);
      await chmod(askpass, 0o755);
      const ssh = await run('ssh', [...sshFlags, `admin@${d.ip}`, 'id'], {
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        DISPLAY: ':0',
      });
      expect(ssh.out).toContain('Permission denied');
      const http = await run('curl', ['-s', '-d', `username=web${i}&password=http-pw-${i}`, `http://${d.ip}/login`]);
      expect(http.out).toContain('Invalid username or password.');
      const ftp = await run('lftp', [
        '-u',
        `ftp${i},ftp-pw-${i}`,
        '-e',
        'set net:max-retries 1; set net:timeout 5; ls; bye',
        `ftp://${d.ip}`,
      ]);
      expect(ftp.out).toContain('530 Login incorrect');
      await telnetLogin(d.ip, `tel${i}`, `telnet-pw-${i}`);
    }

    const found = (decky: string, service: string, password: string) => (e: AttackerEvent) =>
      e.decky === decky && e.service === service && JSON.stringify(e.data).includes(password);
    await eventually(
      () =>
        deckies.every((d, i) =>
          (
            [
              ['ssh', `ssh-pw-${i}`],
              ['http', `http-pw-${i}`],
              ['ftp', `ftp-pw-${i}`],
              ['telnet', `telnet-pw-${i}`],
            ] as const
          ).every(([svc, pw]) => receiver.events.some(found(d.name, svc, pw))),
        ),
      { what: 'captured credentials at the receiver', timeoutMs: 20_000 },
    );
    // Acked events leave the spool.
    const ids = receiver.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('hosts both deckies in one process; killing it restarts both, each counting one restart', async () => {
    const pids = await deckyHostPids(agent.child.pid!);
    expect(pids).toHaveLength(1);
    process.kill(pids[0]!, 'SIGKILL');
    const runtime = await eventually(
      async () => {
        const rt = (await api.call('GET', '/status')).body.runtime as Record<
          string,
          { restarts: number; running: boolean; services: unknown }
        >;
        return deckies.every((d) => rt[d.name]?.restarts === 1 && rt[d.name]?.running) ? rt : undefined;
      },
      { what: 'both deckies restarted', timeoutMs: 20_000 },
    );
    for (const d of deckies) {
      expect(runtime[d.name]?.services).toEqual({ ssh: 'running', http: 'running', ftp: 'running', telnet: 'running' });
      expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${d.ip}/`])).out).toBe('200');
      expect((await run('ssh-keyscan', ['-T', '5', '-t', 'ed25519', d.ip])).out).toContain('ssh-ed25519');
    }
    const after = await deckyHostPids(agent.child.pid!);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(pids[0]);
  });
});

/** Pids of the agent's decky host children (node processes running decky-host.js). */
async function deckyHostPids(agentPid: number): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== agentPid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('decky-host')) out.push(Number(entry));
  }
  return out;
}

/** One login attempt with the real telnet client, then hang up. */
async function telnetLogin(ip: string, user: string, pass: string): Promise<void> {
  const child = spawn('telnet', [ip], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    await eventually(() => out.includes('login: '), { what: 'telnet login prompt' });
    child.stdin.write(`${user}\n`);
    await eventually(() => out.includes('Password: '), { what: 'telnet password prompt' });
    child.stdin.write(`${pass}\n`);
    await eventually(() => out.includes('Login incorrect'), { what: 'telnet refusal' });
  } finally {
    child.kill();
    await closed;
  }
}
