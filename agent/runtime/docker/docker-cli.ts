import { execFile } from 'node:child_process';
import { AppError } from '../../../shared/errors';

/** What one docker or compose command printed; never a rejection for a non-zero exit. */
export type CommandResult = Readonly<{ code: number; stdout: string; stderr: string }>;

export type ComposeFlavour = 'v2' | 'v1';

export type DockerCli = Readonly<{
  /** `docker …` against the engine DOCKER_HOST names (the default socket when unset). */
  docker: (args: readonly string[], opts?: { timeoutMs?: number; input?: string }) => Promise<CommandResult>;
  /** `docker compose -p P -f F …` (v2 plugin) or `docker-compose -p P -f F …` (v1), whichever this host has. */
  compose: (
    project: string,
    file: string,
    args: readonly string[],
    opts?: { timeoutMs?: number },
  ) => Promise<CommandResult>;
  /** The compose flavour found, or null when neither is installed. */
  flavour: () => Promise<ComposeFlavour | null>;
}>;

export type DockerCliOptions = Readonly<{
  env?: NodeJS.ProcessEnv;
  /** The docker client binary (default `docker` on PATH). */
  dockerBin?: string;
  composeV1Bin?: string;
}>;

const DEFAULT_TIMEOUT_MS = 120_000;
/** Output kept per command: `docker ps`/`inspect` of a large fleet stays far below it. */
const MAX_OUTPUT = 16 << 20;

function run(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      [...args],
      { env, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean }) | null;
        const code = !e ? 0 : typeof e.code === 'number' ? e.code : e.killed ? 124 : 127;
        const why = e && typeof e.code === 'string' ? `${cmd}: ${e.code === 'ENOENT' ? 'not installed' : e.code}` : '';
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || why });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/**
 * The docker client as the runtime uses it: the engine is only ever reached through the CLI (the
 * operator's DOCKER_HOST, contexts and TLS settings apply unchanged), compose v2 preferred with
 * the v1 `docker-compose` as the fallback the issue asks for.
 */
export function createDockerCli(opts: DockerCliOptions = {}): DockerCli {
  const env = opts.env ?? process.env;
  const dockerBin = opts.dockerBin ?? 'docker';
  const v1Bin = opts.composeV1Bin ?? 'docker-compose';
  let found: Promise<ComposeFlavour | null> | null = null;
  const flavour = () =>
    (found ??= (async () => {
      if ((await run(dockerBin, ['compose', 'version'], env, { timeoutMs: 20_000 })).code === 0) return 'v2';
      if ((await run(v1Bin, ['version'], env, { timeoutMs: 20_000 })).code === 0) return 'v1';
      return null;
    })());
  return {
    docker: (args, o) => run(dockerBin, args, env, o),
    flavour,
    compose: async (project, file, args, o) => {
      const f = await flavour();
      if (!f)
        throw new AppError(
          'INVALID_INPUT',
          'neither `docker compose` nor `docker-compose` is installed on this worker',
        );
      const base = ['-p', project, '-f', file, ...args];
      return f === 'v2' ? run(dockerBin, ['compose', ...base], env, o) : run(v1Bin, base, env, o);
    },
  };
}

/** Engine hiccups worth another try (a daemon restarting, a busy lock); anything else fails at once. */
const TRANSIENT =
  /cannot connect to the docker daemon|connection refused|context deadline exceeded|i\/o timeout|tls handshake timeout|resource temporarily unavailable|device or resource busy|is already in progress|error while removing network|timed out/i;

export function isTransient(r: CommandResult): boolean {
  return r.code !== 0 && TRANSIENT.test(r.stderr);
}

/** The last meaningful line of a failed command, for a one-line error. */
export function failureLine(r: CommandResult): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(DEPRECATED|Install the buildx|https:\/\/docs\.docker\.com)/.test(l));
  const errorLine = lines.find((l) => /^(error|ERROR)\b/.test(l)) ?? lines.at(-1) ?? `exit code ${r.code}`;
  return errorLine.slice(0, 500);
}

/** Runs `attempt` until it succeeds, fails for good, or `tries` transient failures (backoff 0.5 s, 1 s, 2 s …). */
export async function withRetries(
  attempt: () => Promise<CommandResult>,
  opts: { tries?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<CommandResult> {
  const tries = opts.tries ?? 4;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  let r = await attempt();
  for (let i = 1; i < tries && isTransient(r); i++) {
    await sleep(500 * 2 ** (i - 1));
    r = await attempt();
  }
  return r;
}
