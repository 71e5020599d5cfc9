import { join } from 'node:path';
import { run } from '../services/service-harness';

export type Resumption = Readonly<{ resumed: boolean; sessionTicketExt: boolean; ticketLifetimeS: string | null }>;

/**
 * What a returning `openssl s_client` gets: it saves the session of a first connection (-sess_out)
 * and offers it on a second (-sess_in). `resumed` is the second handshake's "Reused";
 * `sessionTicketExt` says the first TLS 1.2 handshake issued a (stateless) ticket; the lifetime hint
 * is that of the first ticket the server sent (TLS 1.2 ticket or TLS 1.3 NewSessionTicket).
 */
export async function resumption(
  target: Readonly<{ ip: string; port: number; sni: string; starttls?: string; input: string }>,
  version: '1.2' | '1.3',
  dir: string,
): Promise<Resumption> {
  const sess = join(dir, `${target.ip}-${target.port}-${version}.sess`);
  const base = ['s_client', '-connect', `${target.ip}:${target.port}`, '-servername', target.sni, '-ign_eof'];
  base.push(version === '1.2' ? '-tls1_2' : '-tls1_3', ...(target.starttls ? ['-starttls', target.starttls] : []));
  const first = await run('openssl', [...base, '-sess_out', sess], { input: target.input, timeoutMs: 20_000 });
  const second = await run('openssl', [...base, '-sess_in', sess], { input: target.input, timeoutMs: 20_000 });
  const state = (out: string) => /^(New|Reused), TLSv/m.exec(out)?.[1];
  if (!state(first.stdout) || !state(second.stdout))
    throw new Error(`s_client to ${target.ip}:${target.port} made no handshake: ${first.stderr} ${second.stderr}`);
  return {
    resumed: state(second.stdout) === 'Reused',
    // s_client prints "TLS session ticket:" for every ticket, so only TLS 1.2 (where tickets are the
    // RFC 5077 extension) tells the extension apart from TLS 1.3's NewSessionTicket.
    sessionTicketExt: version === '1.2' && /TLS session ticket lifetime hint/.test(first.stdout),
    ticketLifetimeS: /TLS session ticket lifetime hint: (\d+)/.exec(first.stdout)?.[1] ?? null,
  };
}
