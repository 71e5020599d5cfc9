import type { HostNetwork } from '../../network/host-network';
import { createDockerCli, failureLine } from './docker-cli';
import { defaultImageSource, imageTag } from './decky-image';
import { lanNetworkName } from './docker-network';

type Check = Readonly<{ name: string; ok: boolean; detail: string; fatal: boolean }>;

/**
 * The docker runtime's prerequisites, read-only: the engine answers, a compose flavour is
 * installed, the decky image is built (a warning only: the first deploy builds it), and the
 * driver's docker network either does not exist yet or matches the worker's parent and subnet.
 */
export async function dockerDoctorChecks(
  driver: string,
  host: HostNetwork | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Check[]> {
  const cli = createDockerCli({ env });
  const out: Check[] = [];
  const engine = await cli.docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
  const ok = engine.code === 0;
  out.push({
    name: 'docker',
    ok,
    fatal: true,
    detail: ok
      ? `docker engine ${engine.stdout.trim()}`
      : `the docker runtime needs a running Docker engine (${failureLine(engine)})`,
  });
  const flavour = await cli.flavour();
  out.push({
    name: 'compose',
    ok: flavour !== null,
    fatal: true,
    detail:
      flavour === 'v2'
        ? 'docker compose (v2 plugin)'
        : flavour === 'v1'
          ? 'docker-compose (v1)'
          : 'neither `docker compose` nor `docker-compose` is installed',
  });
  if (!ok) return out;
  const tag = await imageTag(defaultImageSource(env)).catch((err: unknown) => `(${(err as Error).message})`);
  const image = await cli.docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
  out.push({
    name: 'decky image',
    ok: image.code === 0,
    fatal: false,
    detail:
      image.code === 0
        ? `${tag} is built`
        : `${tag} is not built yet; the first deploy builds it (or run decnet-agent image build)`,
  });
  if (host && (driver === 'macvlan' || driver === 'ipvlan')) {
    const name = lanNetworkName(driver, host);
    const net = await cli.docker(['network', 'inspect', '--format', '{{.Driver}} {{index .Options "parent"}}', name]);
    const want = `${driver} ${host.interface}`;
    out.push({
      name: 'docker network',
      ok: net.code !== 0 || net.stdout.trim() === want,
      fatal: false,
      detail:
        net.code !== 0
          ? `${name} does not exist yet; the first deploy creates it on ${host.interface} (${host.subnet})`
          : net.stdout.trim() === want
            ? `${name} is ${want}`
            : `${name} is "${net.stdout.trim()}", not ${want}; remove it (docker network rm ${name})`,
    });
  }
  return out;
}
