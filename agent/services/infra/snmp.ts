import { deckyBytes, deckyInt } from '../kit/decky-seed';
import { deckyHostname, personaString } from '../kit/persona';
import { defaultSystemGroup, nextEntry, systemMib, type MibEntry } from './snmp-mib';
import {
  encodeV3Report,
  usmReports,
  encodeResponse,
  parseSnmp,
  pduTag,
  snmpLimits,
  type CommunityMessage,
  type VarbindOut,
} from './snmp-codec';
import { listenUdp, type DatagramMeta } from '../kit/udp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * An SNMP agent serving the system group read-only to the persona's community. Like net-snmp, a
 * wrong community gets no answer at all (so a community guess is only visible in the captures),
 * and a v3 engine discovery gets the usual Report.
 */
const errorStatus = { noError: 0, tooBig: 1, noSuchName: 2, readOnly: 4, noAccess: 6 } as const;

export function answerCommunity(req: CommunityMessage, mib: readonly MibEntry[]): Buffer {
  const v1 = req.version === 0;
  const exact = (oid: string): VarbindOut => {
    const e = mib.find((m) => m.oid === oid);
    if (e) return { oid, value: e.value() };
    const isPrefix = mib.some(
      (m) => m.oid.startsWith(oid + '.') || oid.startsWith(m.oid.slice(0, m.oid.lastIndexOf('.')) + '.'),
    );
    return { oid, value: isPrefix ? 'noSuchInstance' : 'noSuchObject' };
  };
  const next = (oid: string): VarbindOut => {
    const e = nextEntry(mib, oid);
    return e ? { oid: e.oid, value: e.value() } : { oid, value: 'endOfMibView' };
  };
  if (req.pduTag === pduTag.set) {
    return encodeResponse(
      req,
      req.oids.map((oid) => ({ oid, value: 'null' })),
      v1 ? errorStatus.noSuchName : errorStatus.noAccess,
      1,
    );
  }
  let binds: VarbindOut[];
  if (req.pduTag === pduTag.getBulk) {
    const nr = Math.min(req.nonRepeaters, req.oids.length);
    binds = req.oids.slice(0, nr).map(next);
    let cursor = req.oids.slice(nr);
    for (
      let r = 0;
      r < Math.max(1, req.maxRepetitions) && cursor.length && binds.length < snmpLimits.maxBulkResults;
      r++
    ) {
      const row = cursor.map(next);
      binds.push(...row);
      cursor = row.filter((b) => b.value !== 'endOfMibView').map((b) => b.oid);
    }
  } else binds = req.oids.map(req.pduTag === pduTag.get ? exact : next);
  if (v1) {
    // v1 has no exceptions in varbinds: the first missing one becomes noSuchName.
    const bad = binds.findIndex((b) => typeof b.value === 'string');
    if (bad >= 0)
      return encodeResponse(
        req,
        req.oids.map((oid) => ({ oid, value: 'null' })),
        errorStatus.noSuchName,
        bad + 1,
      );
  }
  return encodeResponse(req, binds);
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const hostname = deckyHostname(ctx.decky);
  const defaults = defaultSystemGroup(ctx.decky, hostname);
  const sys = { ...defaults, sysDescr: personaString(ctx.persona, 'sysDescr', defaults.sysDescr) };
  const community = personaString(ctx.persona, 'community', 'public');
  // A machine that booted a plausible, stable while ago (not when the honeypot process started).
  const bootedAt =
    Date.now() -
    deckyInt(ctx.decky, 'snmp-uptime', 3, 40) * 86_400_000 -
    deckyInt(ctx.decky, 'snmp-uptime-s', 0, 86_399) * 1_000;
  const uptimeTicks = () => Math.floor((Date.now() - bootedAt) / 10) % 2 ** 32;
  const mib = systemMib(sys, uptimeTicks, deckyInt(ctx.decky, 'snmp-orlastchange', 100, 900));
  const engineId = Buffer.concat([
    Buffer.from([0x80, 0x00, 0x1f, 0x88, 0x80]),
    deckyBytes(ctx.decky, 'snmp-engine', 12),
  ]);
  const boots = deckyInt(ctx.decky, 'snmp-boots', 1, 30);
  const reportCounters = { engine: 0, user: 0 };

  const onDatagram = (msg: Buffer, meta: DatagramMeta, reply: (b: Uint8Array) => void) => {
    const { src, session } = meta;
    let req: ReturnType<typeof parseSnmp>;
    try {
      req = parseSnmp(msg);
    } catch (err) {
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, reason: err instanceof Error ? err.message.slice(0, 200) : String(err), bytes: msg.length },
      });
      return;
    }
    if (req.version === 3) {
      ctx.capture({
        src,
        kind: 'request',
        data: { session, version: 'v3', userName: req.userName, engineId: req.engineId, flags: req.flags },
      });
      if (req.userName)
        ctx.capture({
          src,
          kind: 'auth',
          data: { session, method: 'snmpv3-usm', username: req.userName, success: false },
        });
      const discovery = req.engineId !== engineId.toString('hex');
      const counter = discovery ? ++reportCounters.engine : ++reportCounters.user;
      const oid = discovery ? usmReports.unknownEngineIds : usmReports.unknownUserNames;
      reply(encodeV3Report(req, engineId, boots, Math.floor((Date.now() - bootedAt) / 1000), oid, counter));
      return;
    }
    const ok = req.community === community;
    ctx.capture({
      src,
      kind: 'request',
      data: {
        session,
        version: req.version === 0 ? 'v1' : 'v2c',
        community: req.community,
        pdu: req.pdu,
        oids: req.oids.slice(0, 16),
      },
    });
    if (!ok) {
      ctx.capture({
        src,
        kind: 'auth',
        data: { session, method: 'community', username: '', password: req.community, success: false },
      });
      return;
    }
    if (req.pduTag === pduTag.set)
      ctx.capture({ src, kind: 'command', data: { session, pdu: 'set', oids: req.oids.slice(0, 16) } });
    if (
      req.pduTag === pduTag.trap ||
      req.pduTag === pduTag.trapV2 ||
      req.pduTag === pduTag.report ||
      req.pduTag === pduTag.inform
    )
      return;
    if (req.version === 0 && req.pduTag === pduTag.getBulk) return;
    reply(answerCommunity(req, mib));
  };

  const listener = await listenUdp({
    host: ctx.host,
    port: ctx.port(161),
    capture: ctx.capture,
    log: ctx.log,
    onDatagram,
  });
  return { bound: [listener.bound], close: listener.close };
}

export const snmpService: ServiceModule = { name: 'snmp', start };
