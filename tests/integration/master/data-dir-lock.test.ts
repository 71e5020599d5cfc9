// Two real `decnet-master serve` processes on one data dir: the second refuses in one line naming
// the first one's pid and exits 1; the first releases the lock when it stops.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';

const CLI = join(import.meta.dirname, '../../../out/main/cli.js');
const env = { ...process.env, DECNET_SWARM_HOST: '127.0.0.1', DECNET_ADMIN_PASSWORD: 'lock-test-password-1' };
const args = (dir: string) => [CLI, 'serve', '--data', dir, '--no-local-agent', '--api-port', '0', '--swarm-port', '0'];

describe('decnet-master serve: one master per data dir', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => (tmp = await makeTmpDir('decnet-serve-lock-')));
  afterEach(() => tmp.remove());

  it('the second serve exits 1 with one line naming the running pid; stop releases the lock', async () => {
    const first = spawn(process.execPath, args(tmp.dir), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
    try {
      let out = '';
      first.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await eventually(() => out.includes('swarm listener:'), { timeoutMs: 30_000, what: 'first master up' });
      expect(readFileSync(join(tmp.dir, 'master.lock'), 'utf8')).toBe(`${first.pid}\n`);

      const second = spawnSync(process.execPath, args(tmp.dir), { env, encoding: 'utf8', timeout: 30_000 });
      expect(second.status).toBe(1);
      const lines = second.stderr.trim().split('\n');
      expect(lines).toEqual([
        `decnet-master: the data dir ${tmp.dir} is in use by another master (pid ${first.pid}); stop it or use another data dir`,
      ]);
      expect(second.stdout).not.toContain('swarm listener');
    } finally {
      first.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(join(tmp.dir, 'master.lock'))).toBe(false);
  });

  it('a stale lock of a dead pid is taken over by serve', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(tmp.dir, 'master.lock'), `${dead}\n`);
    const m = spawn(process.execPath, args(tmp.dir), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => m.once('exit', (code) => r(code)));
    try {
      let out = '';
      m.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await eventually(() => out.includes('swarm listener:'), {
        timeoutMs: 30_000,
        what: 'master up over a stale lock',
      });
      expect(readFileSync(join(tmp.dir, 'master.lock'), 'utf8')).toBe(`${m.pid}\n`);
    } finally {
      m.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
