import { deckyHostname, personaString } from '../kit/persona';
import { encodeResponse, parseQuery, rdata, rrClass, rrType, typeName, type Question } from '../codecs/dns-codec';
import { listenUdp, type DatagramMeta } from '../kit/udp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * LLMNR (RFC 4795, 5355/udp) and mDNS (RFC 6762, 5353/udp) responders for the decky's own name.
 * Responders only ever answer for names they own, so every other query is recorded and left
 * unanswered: poisoning tools (Responder) and lateral-movement scans show up in the captures.
 */
export const llmnrTtl = 30;
export const mdnsTtl = 120;

/** Does `qname` name this host (`ws-0142`, `WS-0142.local`, or its FQDN)? */
export function namesHost(qname: string, hostname: string): boolean {
  const q = qname.toLowerCase().replace(/\.$/, '');
  const h = hostname.toLowerCase();
  const short = h.split('.')[0] ?? h;
  return q === h || q === short || q === `${short}.local`;
}

function answerable(q: Question): boolean {
  return (q.qclass & 0x7fff) === rrClass.IN && (q.type === rrType.A || q.type === rrType.ANY);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const hostname = personaString(ctx.persona, 'hostname', deckyHostname(ctx.decky));
  const ip = ctx.decky.ip;

  const handler = (proto: 'llmnr' | 'mdns') => (msg: Buffer, meta: DatagramMeta, reply: (b: Uint8Array) => void) => {
    const { src, session } = meta;
    let q: ReturnType<typeof parseQuery>;
    try {
      q = parseQuery(msg);
    } catch (err) {
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, proto, reason: err instanceof Error ? err.message : String(err) },
      });
      return;
    }
    // Responses from other responders on the link are not queries.
    if (q.qr || q.opcode !== 0) return;
    const ours = q.questions.filter((x) => namesHost(x.name, hostname));
    ctx.capture({
      src,
      kind: 'request',
      data: {
        session,
        proto,
        queries: q.questions.map((x) => ({
          name: x.name.slice(0, 255),
          type: typeName(x.type),
          unicastResponse: proto === 'mdns' && (x.qclass & 0x8000) !== 0,
        })),
        answered: ours.some(answerable),
      },
    });
    const asked = ours.filter(answerable);
    if (asked.length === 0) return;
    const first = asked[0]!;
    if (proto === 'llmnr') {
      const answer = { name: first.name, type: rrType.A, rrclass: rrClass.IN, ttl: llmnrTtl, data: rdata.a(ip) };
      reply(encodeResponse({ id: q.id, flags: 0, rcode: 0, questions: [first], answers: [answer] }));
      return;
    }
    // mDNS: a legacy unicast query (source port other than 5353) gets its id and question echoed.
    const legacy = meta.srcPort !== 5353;
    const answer = {
      name: first.name,
      type: rrType.A,
      rrclass: rrClass.IN | (legacy ? 0 : 0x8000),
      ttl: legacy ? 10 : mdnsTtl,
      data: rdata.a(ip),
    };
    reply(
      encodeResponse({
        id: legacy ? q.id : 0,
        flags: 0x0400,
        rcode: 0,
        questions: legacy ? [first] : [],
        answers: [answer],
      }),
    );
  };

  const llmnr = await listenUdp({
    host: ctx.host,
    port: ctx.port(5355),
    capture: ctx.capture,
    log: ctx.log,
    onDatagram: handler('llmnr'),
    multicastGroups: ['224.0.0.252'],
  });
  try {
    const mdns = await listenUdp({
      host: ctx.host,
      port: ctx.port(5353),
      capture: ctx.capture,
      log: ctx.log,
      onDatagram: handler('mdns'),
      multicastGroups: ['224.0.0.251'],
    });
    return {
      bound: [llmnr.bound, mdns.bound],
      close: async () => void (await Promise.all([llmnr.close(), mdns.close()])),
    };
  } catch (err) {
    await llmnr.close();
    throw err;
  }
}

export const llmnrService: ServiceModule = { name: 'llmnr', start };
