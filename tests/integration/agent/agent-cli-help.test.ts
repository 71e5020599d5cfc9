import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';

const CLI = new URL('../../../out/agent/cli.js', import.meta.url).pathname;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('decnet-agent help and validation', () => {
  it('answers -h/--help on every command on stdout with exit 0, listing defaults and env vars', async () => {
    for (const args of [['--help'], ['-h'], ['run', '--help'], ['doctor', '-h'], ['enroll', '--help']]) {
      const r = await cli(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^usage: decnet-agent/);
    }
    expect((await cli(['run', '--help'])).stdout).toMatch(
      /--listen HOST:PORT .*default 0\.0\.0\.0:8765; env DECNET_AGENT_LISTEN/,
    );
  }, 300_000);

  it('a bad flag or variable exits 2 with one line naming it, before the state dir is created', async () => {
    const tmp = await makeTmpDir('decnet-agent-cli-');
    try {
      const state = join(tmp.dir, 'state');
      const bad = await cli(['run', '--dir', join(tmp.dir, 'id'), '--state-dir', state, '--listen', 'abc']);
      expect(bad).toMatchObject({ code: 2, stderr: 'decnet-agent: --listen must be HOST:PORT, got "abc"\n' });
      const env = await cli(['run', '--dir', join(tmp.dir, 'id'), '--state-dir', state], {
        DECNET_HEARTBEAT_INTERVAL_S: 'soon',
      });
      expect(env).toMatchObject({
        code: 2,
        stderr: 'decnet-agent: DECNET_HEARTBEAT_INTERVAL_S must be a whole number of at least 1, got "soon"\n',
      });
      expect((await cli(['run', '--network', 'wifi', '--state-dir', state])).stderr).toMatch(
        /^decnet-agent: --network must be one of loopback, macvlan, ipvlan, got "wifi"\n$/,
      );
      expect((await cli(['nosuch'])).code).toBe(2);
      expect(await readdir(tmp.dir)).toEqual([]);
    } finally {
      await tmp.remove();
    }
  }, 300_000);
});
