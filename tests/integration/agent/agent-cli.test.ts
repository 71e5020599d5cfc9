import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { version } from '../../../package.json';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { createPki, paths, startAgentProcess, type AgentProcess, writeWorker } from './harness';

const CLI = new URL('../../../out/agent/cli.js', import.meta.url).pathname;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('decnet-agent CLI', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let identityDir: string;
  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-cli-');
    const p = paths(tmp.dir);
    identityDir = p.identity;
    await writeWorker(await createPki(p.ca), identityDir, 'https://127.0.0.1:9');
  });
  afterAll(() => tmp.remove());

  it('prints its real version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `decnet-agent ${version}\n` });
  });

  it('refuses to run without an identity, in one line and without a stack trace', async () => {
    const r = await cli([
      'run',
      '--dir',
      join(tmp.dir, 'none'),
      '--state-dir',
      join(tmp.dir, 's1'),
      '--listen',
      '127.0.0.1:0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `decnet-agent: agent identity incomplete: ${join(tmp.dir, 'none', 'ca.crt')} is missing (enroll this agent first)\n`,
    );
  });

  it('names an unusable state directory', async () => {
    const file = join(tmp.dir, 'not-a-dir');
    await writeFile(file, '');
    const r = await cli(['run', '--dir', identityDir, '--state-dir', file, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^decnet-agent: state directory ${file} is not usable: E[A-Z]+\\n$`));
  });

  it('names a corrupt state file', async () => {
    const stateDir = join(tmp.dir, 'corrupt');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'state.json'), '{"schemaVer');
    const r = await cli(['run', '--dir', identityDir, '--state-dir', stateDir, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^decnet-agent: the agent state .*state\.json is corrupt \(not JSON\); move it away and redeploy from the master\n$/,
    );
  });

  it('says when the port is in use', async () => {
    let first: AgentProcess | undefined;
    try {
      first = await startAgentProcess({ identityDir, stateDir: join(tmp.dir, 's2') });
      const r = await cli([
        'run',
        '--dir',
        identityDir,
        '--state-dir',
        join(tmp.dir, 's3'),
        '--listen',
        `127.0.0.1:${first.port}`,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `decnet-agent: agent API cannot listen on 127.0.0.1:${first.port}: port ${first.port} is in use\n`,
      );
    } finally {
      await first?.kill();
    }
  });

  it('doctor --runtime docker names a missing engine in one line and fails; image takes only `build`', async () => {
    const env = { DOCKER_HOST: `unix://${join(tmp.dir, 'no-such-docker.sock')}` };
    const r = await cli(
      ['doctor', '--dir', identityDir, '--state-dir', join(tmp.dir, 's4'), '--runtime', 'docker'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}docker {13}the docker runtime needs a running Docker engine \(.+\)$/m);
    expect(await cli(['image', 'push'])).toMatchObject({
      code: 2,
      stderr: 'decnet-agent: usage: decnet-agent image build\n',
    });
    expect((await cli(['image', 'build', '--help'])).stdout).toContain('FROM scratch');
  });
});
