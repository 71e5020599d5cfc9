import { constants, existsSync } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { toAppError } from '../shared/errors';
import { identityFiles, loadIdentity, type AgentIdentity } from './identity';
import { createMasterClient } from './master-client';
import { networkDoctorChecks } from './network/doctor-checks';
import { detectHostNetwork } from './network/host-network';
import { dockerDoctorChecks } from './runtime/docker/doctor-checks';

export type DoctorCheck = Readonly<{ name: string; ok: boolean; detail: string; fatal: boolean }>;

export type DoctorOptions = Readonly<{
  identityDir: string;
  stateDir: string;
  listen: { host: string; port: number };
  runtime: string;
  network: string;
  /** DECNET_AGENT_PARENT, when the operator named the parent interface. */
  parent?: string;
}>;

/**
 * Checks what `decnet-agent run` needs, in the order an operator would fix them: identity files and
 * their permissions, the state dir, the listen port, the master's reachability over mTLS, and the
 * runtime's prerequisites. Each check is one plain sentence; nothing is changed on the host.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, fatal = true): void =>
    void checks.push({ name, ok, detail, fatal });

  let identity: AgentIdentity | null = null;
  try {
    identity = await loadIdentity(opts.identityDir);
    const days = Math.floor((identity.certExpiresAt.getTime() - Date.now()) / 86_400_000);
    add(
      'identity',
      days >= 0,
      days >= 0
        ? `${identity.name} (host ${identity.hostUuid}), certificate valid for ${days} more days`
        : `the worker certificate expired on ${identity.certExpiresAt.toISOString()}; re-enroll this host`,
    );
  } catch (err) {
    add('identity', false, toAppError(err).message);
  }
  const keyPath = join(opts.identityDir, identityFiles.key);
  if (existsSync(keyPath)) {
    const mode = (await stat(keyPath)).mode & 0o777;
    add(
      'key permissions',
      (mode & 0o077) === 0,
      (mode & 0o077) === 0
        ? `${keyPath} is private (mode ${mode.toString(8)})`
        : `${keyPath} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${keyPath}`,
    );
  }

  try {
    await mkdir(opts.stateDir, { recursive: true });
    await access(opts.stateDir, constants.W_OK);
    add('state dir', true, `${opts.stateDir} is writable`);
  } catch (err) {
    add('state dir', false, `${opts.stateDir} is not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }

  const portFree = await canListen(opts.listen.host, opts.listen.port);
  add(
    'listen port',
    portFree,
    portFree
      ? `${opts.listen.host}:${opts.listen.port} is free`
      : `${opts.listen.host}:${opts.listen.port} is in use (is the agent already running?)`,
    false,
  );

  if (identity) {
    const client = createMasterClient(identity, identity.masterUrl);
    try {
      await client.caCert({}, { timeoutMs: 5000 });
      add('master', true, `${identity.masterUrl} answers and presents a certificate from our CA`);
    } catch (err) {
      add('master', false, `${identity.masterUrl}: ${toAppError(err).message}`, false);
    } finally {
      await client.close();
    }
  }

  add('node', Number(process.versions.node.split('.')[0]) >= 20, `Node.js ${process.versions.node}`);
  if (opts.runtime === 'docker') {
    const host = opts.network === 'loopback' ? null : await detectHostNetwork(opts.parent).catch(() => null);
    checks.push(...(await dockerDoctorChecks(opts.network, host)));
  }
  if (opts.network === 'macvlan' || opts.network === 'ipvlan')
    checks.push(...(await networkDoctorChecks(opts.network, opts.parent)));
  return checks;
}

async function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** One line per check, `ok`/`WARN`/`FAIL` first, for the terminal. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  return checks.map((c) => `${c.ok ? 'ok  ' : c.fatal ? 'FAIL' : 'WARN'}  ${c.name.padEnd(18)} ${c.detail}`).join('\n');
}
