import { sep } from 'node:path';

/** What to exec for a Node child: the caller passes it to child_process.spawn unchanged. */
export type NodeSpawnSpec = Readonly<{ command: string; args: readonly string[]; env: NodeJS.ProcessEnv }>;

/**
 * How this process starts a Node child running `script`. Injected from the composition roots
 * (the Electron shell, the CLIs) so the core and the agent never ask which binary they run in.
 */
export type NodeSpawner = (script: string, args: readonly string[], env: NodeJS.ProcessEnv) => NodeSpawnSpec;

/** Headless (`decnet-master`, `decnet-agent`): the Node binary running us, script first. */
export function headlessNodeSpawner(execPath: string = process.execPath): NodeSpawner {
  return (script, args, env) => ({ command: execPath, args: [script, ...args], env: { ...env } });
}

/**
 * Inside the desktop app `execPath` is the Electron binary: without ELECTRON_RUN_AS_NODE=1 it
 * ignores the script and opens a second console. Spawned scripts live in `app.asar.unpacked`
 * (electron-builder.yml asarUnpack), so a path into the archive is rewritten to point there.
 */
export function electronNodeSpawner(execPath: string): NodeSpawner {
  return (script, args, env) => ({
    command: execPath,
    args: [unpackedAsarPath(script), ...args],
    env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

/** `/opt/app/resources/app.asar/out/agent/cli.js` → `/opt/app/resources/app.asar.unpacked/out/agent/cli.js`. */
export function unpackedAsarPath(path: string): string {
  const packed = `${sep}app.asar${sep}`;
  const i = path.indexOf(packed);
  return i < 0 ? path : `${path.slice(0, i)}${sep}app.asar.unpacked${sep}${path.slice(i + packed.length)}`;
}

/**
 * The spawner for the binary running this process: an agent started by the desktop app runs
 * under Electron-as-Node (process.versions.electron is set) and must start its decky hosts the
 * same way.
 */
export function nodeSpawnerForProcess(proc: Pick<NodeJS.Process, 'execPath' | 'versions'> = process): NodeSpawner {
  return proc.versions['electron'] ? electronNodeSpawner(proc.execPath) : headlessNodeSpawner(proc.execPath);
}
