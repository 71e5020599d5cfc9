import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '../../../shared/errors';
import { AGENT_VERSION } from '../../version';
import { type DockerCli, failureLine } from './docker-cli';
import { LABEL } from './compose-file';

const exec = promisify(execFile);
export const IMAGE_REPO = 'decnet-decky';

export type ImageSource = Readonly<{
  /** The self-contained decky host bundle (all npm dependencies inlined). */
  hostBundle: string;
  /** The worker's node binary, copied with the libraries `ldd` lists (scratch image only). */
  nodeBin: string;
  /** An image already on the worker to build on instead of `FROM scratch` (DECNET_DOCKER_BASE_IMAGE). */
  baseImage?: string;
}>;

/**
 * The decky host bundle that can run without node_modules: the tarball's lib/decky-host.js is one;
 * a repo build writes out/agent/image/decky-host.js for this (out/agent/decky-host.js imports npm
 * packages).
 */
export function defaultImageSource(env: NodeJS.ProcessEnv = process.env): ImageSource {
  const here = dirname(fileURLToPath(import.meta.url));
  const repoBuild = join(here, 'image', 'decky-host.js');
  return {
    hostBundle: existsSync(repoBuild) ? repoBuild : join(here, 'decky-host.js'),
    nodeBin: process.execPath,
    ...(env['DECNET_DOCKER_BASE_IMAGE'] ? { baseImage: env['DECNET_DOCKER_BASE_IMAGE'] } : {}),
  };
}

/** `decnet-decky:<version>-<content hash>`: a new bundle or node binary is a new image, nothing else is. */
export async function imageTag(src: ImageSource): Promise<string> {
  const node = await stat(src.nodeBin);
  const h = createHash('sha256')
    .update(await readFile(src.hostBundle))
    .update(`\0${src.nodeBin}\0${node.size}\0${node.mtimeMs}\0${src.baseImage ?? 'scratch'}`)
    .digest('hex');
  return `${IMAGE_REPO}:${AGENT_VERSION}-${h.slice(0, 12)}`;
}

/** The shared libraries a binary loads, from `ldd` (absolute paths, the loader included). */
export async function sharedLibraries(bin: string): Promise<string[]> {
  const { stdout } = await exec('ldd', [bin]).catch((err: unknown) => {
    const out = (err as { stdout?: string }).stdout ?? '';
    // A static binary: ldd says so and exits 1.
    if (/not a dynamic executable|statically linked/.test(out + String((err as Error).message))) return { stdout: '' };
    throw new AppError('INTERNAL', `ldd ${bin} failed: ${(err as Error).message.split('\n')[0]}`);
  });
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)/.exec(line);
    if (m?.[1]) libs.add(m[1]);
  }
  return [...libs];
}

async function which(cmd: string): Promise<string> {
  for (const d of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const p = join(d, cmd);
    if (existsSync(p)) return realpath(p);
  }
  throw new AppError('INTERNAL', `${cmd} is not on PATH; the decky image needs it`);
}

/** Copies `file` into `root` at the same absolute path (symlinks followed: the image has none). */
async function place(root: string, file: string, at = file): Promise<void> {
  await mkdir(join(root, dirname(at)), { recursive: true });
  await copyFile(file, join(root, at));
}

/**
 * Builds the image every decky container runs, on the worker, from what the agent ships: no
 * registry, no internet. From scratch it holds the node binary and its libraries, `sleep` for the
 * base container, the decky host bundle and a passwd naming `nobody`; nothing else (no shell).
 */
export async function buildDeckyImage(
  cli: DockerCli,
  src: ImageSource,
  progress: (text: string) => void = () => undefined,
): Promise<string> {
  const tag = await imageTag(src);
  if ((await cli.docker(['image', 'inspect', '--format', '{{.Id}}', tag])).code === 0) return tag;
  if (!existsSync(src.hostBundle))
    throw new AppError('INVALID_INPUT', `the decky host bundle ${src.hostBundle} is missing; reinstall the agent`);
  progress(`building the decky image ${tag} (first use)`);
  const ctx = await mkdtemp(join(tmpdir(), 'decnet-image-'));
  try {
    const root = join(ctx, 'rootfs');
    await place(root, src.hostBundle, '/opt/decnet/lib/decky-host.js');
    await writeFile(join(root, 'opt/decnet/lib/package.json'), '{ "type": "module" }\n');
    let dockerfile: string;
    if (src.baseImage) {
      dockerfile = `FROM ${src.baseImage}\nCOPY rootfs/ /\n`;
    } else {
      const sleep = await which('sleep');
      for (const bin of [src.nodeBin, sleep]) for (const lib of await sharedLibraries(bin)) await place(root, lib);
      await place(root, src.nodeBin, '/usr/local/bin/node');
      await place(root, sleep, '/usr/bin/sleep');
      await mkdir(join(root, 'etc'), { recursive: true });
      await writeFile(
        join(root, 'etc/passwd'),
        'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
      );
      await writeFile(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
      dockerfile = 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\n';
    }
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    const r = await cli.docker(['build', '-q', '--label', `${LABEL.managed}=true`, '-t', tag, ctx], {
      timeoutMs: 10 * 60_000,
    });
    if (r.code !== 0) throw new AppError('INTERNAL', `building the decky image failed: ${failureLine(r)}`);
    progress(`built the decky image ${tag}`);
    return tag;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
