import { describe, expect, it } from 'vitest';
import {
  electronNodeSpawner,
  headlessNodeSpawner,
  nodeSpawnerForProcess,
  unpackedAsarPath,
} from '../../../shared/node/node-spawner';

describe('node spawner', () => {
  it('headless: the Node binary runs the script, env passed through without ELECTRON_RUN_AS_NODE', () => {
    const spec = headlessNodeSpawner('/opt/node-20/bin/node')('/repo/out/agent/cli.js', ['run', '--dir', 'x'], {
      A: '1',
    });
    expect(spec).toEqual({
      command: '/opt/node-20/bin/node',
      args: ['/repo/out/agent/cli.js', 'run', '--dir', 'x'],
      env: { A: '1' },
    });
  });

  it('electron: the Electron binary as Node, script resolved outside app.asar', () => {
    const exe = '/opt/DECNET Console/decnet-console';
    const spec = electronNodeSpawner(exe)('/opt/DECNET Console/resources/app.asar/out/agent/cli.js', ['run'], {
      A: '1',
    });
    expect(spec.command).toBe(exe);
    expect(spec.args).toEqual(['/opt/DECNET Console/resources/app.asar.unpacked/out/agent/cli.js', 'run']);
    expect(spec.env).toEqual({ A: '1', ELECTRON_RUN_AS_NODE: '1' });
  });

  it('electron: a path already outside the archive (dev build) is left alone', () => {
    expect(electronNodeSpawner('/e')('/repo/out/agent/decky-host.js', [], {}).args).toEqual([
      '/repo/out/agent/decky-host.js',
    ]);
    expect(unpackedAsarPath('/a/app.asar.unpacked/out/x.js')).toBe('/a/app.asar.unpacked/out/x.js');
    expect(unpackedAsarPath('/a/my-app.asarx/out/x.js')).toBe('/a/my-app.asarx/out/x.js');
  });

  it('does not mutate the caller env', () => {
    const env = { A: '1' };
    electronNodeSpawner('/e')('/s.js', [], env);
    expect(env).toEqual({ A: '1' });
  });

  it('picks the variant from the running binary (an agent started by the desktop app runs under Electron-as-Node)', () => {
    expect(
      nodeSpawnerForProcess({ execPath: '/e', versions: { ...process.versions, electron: '41.7.1' } })('/s.js', [], {})
        .env['ELECTRON_RUN_AS_NODE'],
    ).toBe('1');
    const { electron: _drop, ...plain } = { ...process.versions, electron: undefined };
    expect(
      nodeSpawnerForProcess({ execPath: '/n', versions: plain as NodeJS.ProcessVersions })('/s.js', [], {}),
    ).toEqual({ command: '/n', args: ['/s.js'], env: {} });
  });
});
