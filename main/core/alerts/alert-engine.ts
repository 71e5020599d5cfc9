import { randomUUID } from 'node:crypto';
import {
  isEmailChannel,
  type AlertChannel,
  type AlertRule,
  type AlertRuleId,
  type ChannelStatus,
  type Incident,
} from '../../../shared/domain/alerts';
import type { AttackerEvent } from '../../../shared/domain/events';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import type { Clock } from '../clock';
import { createAlertSaver, loadAlertData, trimAlertData, type AlertData } from './alert-state';
import { emailMessage, nodemailerSend, type MailMessage, type MailSend } from './email';
import { backoffMs, webhookBody, webhookHeaders, type WebhookPost } from './webhook';

export type AlertEngine = Readonly<{
  /** Newly stored attacker events (called after they are durable). */
  ingest(events: readonly AttackerEvent[]): Promise<void>;
  hostOffline(hostUuid: string, name: string): Promise<void>;
  certMismatch(hostUuid: string | null, message: string): Promise<void>;
  incidents(q: { state?: Incident['state']; limit?: number }): Incident[];
  setIncidentState(id: string, state: 'acknowledged' | 'closed'): Promise<Incident>;
  config(): { rules: AlertRule[]; channels: AlertChannel[]; status: Record<string, ChannelStatus> };
  configure(c: { rules?: AlertRule[]; channels?: AlertChannel[] }): Promise<void>;
  /** Sends a test body to one channel now (not queued) and reports the outcome. */
  test(channelId: string): Promise<{ ok: boolean; error: string | null }>;
  /** Attempts every due delivery once; the pump timer calls it, tests may too. */
  pump(): Promise<void>;
  start(everyMs?: number): void;
  stop(): Promise<void>;
}>;

type Match = Readonly<{
  rule: AlertRuleId;
  source: string;
  title: string;
  at: string;
  decky?: string;
  service?: string;
}>;

/**
 * Alert rules over the attacker events and host signals, folded into one open incident per
 * (source, rule) while repeats arrive within the rule's window, so a scan of 10,000 packets is one
 * notification that says "and 9,999 more", not 10,000. Only a newly opened incident is delivered.
 * Each delivery is queued in alerts.json before its first attempt and removed after a 2xx, so a
 * receiver outage or a master restart loses nothing; the pump never blocks event ingestion.
 */
export async function createAlertEngine(
  deps: Readonly<{
    path: string;
    clock: Clock;
    log: Logger;
    post: WebhookPost;
    /** How email is sent (default: nodemailer over SMTP). */
    mail?: MailSend;
    onChanged?: (ids: string[]) => void;
  }>,
): Promise<AlertEngine> {
  const mail = deps.mail ?? nodemailerSend;
  /** The queued form of a delivery: the webhook body, or the email as JSON. */
  const bodyFor = (ch: AlertChannel, kind: 'incident.opened' | 'test', inc: Incident): string =>
    isEmailChannel(ch) ? JSON.stringify(emailMessage(kind, inc)) : webhookBody(ch, kind, inc);
  /** One attempt; throws with the reason (an HTTP status outside 2xx, or the SMTP server's answer). */
  const send = async (ch: AlertChannel, body: string, deliveryId: string): Promise<void> => {
    if (isEmailChannel(ch)) return mail(ch, JSON.parse(body) as MailMessage, deliveryId);
    const code = await deps.post(ch.url, body, webhookHeaders(ch, body, deliveryId));
    if (code < 200 || code > 299) throw new Error(`receiver answered HTTP ${code}`);
  };
  const data: AlertData = await loadAlertData(deps.path);
  const saver = createAlertSaver(
    deps.path,
    () => data,
    (err) => deps.log.error('alerts.json write failed', { error: (err as Error).message }),
  );
  const iso = () => new Date(deps.clock.now()).toISOString();
  const ruleOf = (id: AlertRuleId) => data.rules.find((r) => r.id === id);
  const statusOf = (channelId: string): ChannelStatus =>
    (data.status[channelId] ??= { delivered: 0, pending: 0, lastDeliveryAt: null, lastError: null });
  let timer: unknown = null;
  let pumping: Promise<void> | null = null;
  let sourcesAdded = false;

  const openIncident = (m: Match): Incident | undefined => {
    const rule = ruleOf(m.rule);
    if (!rule?.enabled) return undefined;
    const windowMs = rule.windowMinutes * 60_000;
    for (let i = data.incidents.length - 1; i >= 0; i--) {
      const inc = data.incidents[i]!;
      if (inc.rule !== m.rule || inc.source !== m.source || inc.state === 'closed') continue;
      if (Date.parse(m.at) - Date.parse(inc.lastAt) > windowMs) break;
      return inc;
    }
    return undefined;
  };

  /** Folds into the open incident or opens one (queueing its deliveries); returns the incident id. */
  const apply = (m: Match, mayOpen: boolean): string | undefined => {
    const open = openIncident(m);
    if (open) {
      open.count++;
      if (m.at > open.lastAt) open.lastAt = m.at;
      if (m.decky && !open.deckies.includes(m.decky) && open.deckies.length < 256) open.deckies.push(m.decky);
      if (m.service && !open.services.includes(m.service) && open.services.length < 64) open.services.push(m.service);
      return open.id;
    }
    if (!mayOpen || !ruleOf(m.rule)?.enabled) return undefined;
    const inc: Incident = {
      id: randomUUID(),
      rule: m.rule,
      source: m.source,
      title: m.title,
      deckies: m.decky ? [m.decky] : [],
      services: m.service ? [m.service] : [],
      firstAt: m.at,
      lastAt: m.at,
      count: 1,
      state: 'open',
    };
    data.incidents.push(inc);
    for (const ch of data.channels.filter((c) => c.enabled)) {
      data.queue.push({
        id: randomUUID(),
        channelId: ch.id,
        incidentId: inc.id,
        body: bodyFor(ch, 'incident.opened', inc),
        attempts: 0,
        nextAt: 0,
      });
      statusOf(ch.id).pending++;
    }
    return inc.id;
  };

  const commit = async (ids: Set<string>): Promise<void> => {
    if (ids.size === 0) return;
    trimAlertData(data);
    await saver.save();
    deps.onChanged?.([...ids]);
    void pumpOnce();
  };

  const eventMatches = (e: AttackerEvent): { m: Match; mayOpen: boolean }[] => {
    if (!e.src) return [];
    const base = { source: e.src, at: e.ts, decky: e.decky, service: e.service };
    const isNew = !(e.src in data.sources);
    if (isNew) {
      data.sources[e.src] = e.ts;
      sourcesAdded = true;
    }
    const out: { m: Match; mayOpen: boolean }[] = [
      {
        m: { ...base, rule: 'first-contact', title: `New source ${e.src} touched ${e.decky} (${e.service})` },
        mayOpen: isNew,
      },
    ];
    if (e.kind === 'auth')
      out.push({
        m: { ...base, rule: 'credentials', title: `Credentials tried by ${e.src} on ${e.decky} (${e.service})` },
        mayOpen: true,
      });
    if (e.kind === 'command')
      out.push({
        m: { ...base, rule: 'command', title: `Command run by ${e.src} on ${e.decky} (${e.service})` },
        mayOpen: true,
      });
    return out;
  };

  const pumpOnce = (): Promise<void> => (pumping ??= drain().finally(() => (pumping = null)));

  async function drain(): Promise<void> {
    for (;;) {
      const now = deps.clock.now();
      const item = data.queue.find((d) => d.nextAt <= now);
      if (!item) return;
      const ch = data.channels.find((c) => c.id === item.channelId);
      const st = statusOf(item.channelId);
      if (!ch?.enabled) {
        // A channel removed or switched off: its queued deliveries go with it.
        data.queue.splice(data.queue.indexOf(item), 1);
        st.pending = Math.max(0, st.pending - 1);
        await saver.save();
        continue;
      }
      let error: string | null = null;
      try {
        await send(ch, item.body, item.id);
      } catch (err) {
        error = (err as Error).message || String(err);
      }
      if (error === null) {
        data.queue.splice(data.queue.indexOf(item), 1);
        st.pending = Math.max(0, st.pending - 1);
        st.delivered++;
        st.lastDeliveryAt = iso();
      } else {
        item.attempts++;
        item.nextAt = deps.clock.now() + backoffMs(item.attempts);
        st.lastError = error.slice(0, 500);
        deps.log.warn('alert delivery failed; will retry', { channel: ch.id, attempts: item.attempts, error });
      }
      await saver.save();
    }
  }

  return {
    async ingest(events) {
      const changed = new Set<string>();
      for (const e of [...events].sort((a, b) => (a.ts < b.ts ? -1 : 1))) {
        for (const { m, mayOpen } of eventMatches(e)) {
          const id = apply(m, mayOpen);
          if (id) changed.add(id);
        }
      }
      // The first-contact memory changed even when no rule fired (e.g. first-contact switched off).
      if (changed.size === 0 && sourcesAdded) await saver.save();
      sourcesAdded = false;
      await commit(changed);
    },
    async hostOffline(hostUuid, name) {
      const id = apply(
        { rule: 'host-offline', source: hostUuid, title: `Worker ${name} went offline`, at: iso() },
        true,
      );
      await commit(new Set(id ? [id] : []));
    },
    async certMismatch(hostUuid, message) {
      const id = apply(
        { rule: 'cert-mismatch', source: hostUuid ?? 'unknown', title: message.slice(0, 300), at: iso() },
        true,
      );
      await commit(new Set(id ? [id] : []));
    },
    incidents: ({ state, limit = 500 }) =>
      data.incidents
        .filter((i) => !state || i.state === state)
        .slice(-limit)
        .reverse()
        .map((i) => ({ ...i })),
    async setIncidentState(id, state) {
      const inc = data.incidents.find((i) => i.id === id);
      if (!inc) throw new AppError('NOT_FOUND', `no incident ${id}`);
      if (inc.state === 'closed' && state === 'acknowledged')
        throw new AppError('CONFLICT', `incident ${id} is closed`);
      inc.state = state;
      await saver.save();
      deps.onChanged?.([id]);
      return { ...inc };
    },
    config: () => ({
      rules: data.rules.map((r) => ({ ...r })),
      channels: data.channels.map((c) => ({ ...c })),
      status: structuredClone(data.status),
    }),
    async configure(c) {
      if (c.rules) {
        const ids = new Set(c.rules.map((r) => r.id));
        if (ids.size !== c.rules.length) throw new AppError('INVALID_INPUT', 'each alert rule may appear once');
        for (const r of c.rules) Object.assign(ruleOf(r.id)!, r);
      }
      if (c.channels) {
        if (new Set(c.channels.map((x) => x.id)).size !== c.channels.length)
          throw new AppError('INVALID_INPUT', 'channel ids must be unique');
        data.channels = c.channels.map((x) => ({ ...x }));
      }
      await saver.save();
    },
    async test(channelId) {
      const ch = data.channels.find((c) => c.id === channelId);
      if (!ch) throw new AppError('NOT_FOUND', `no alert channel ${channelId}`);
      const at = iso();
      const sample: Incident = {
        id: randomUUID(),
        rule: 'first-contact',
        source: '198.51.100.7',
        title: 'Test alert from the DECNET console',
        deckies: [],
        services: [],
        firstAt: at,
        lastAt: at,
        count: 1,
        state: 'open',
      };
      const body = bodyFor(ch, 'test', sample);
      const st = statusOf(ch.id);
      try {
        await send(ch, body, sample.id);
        st.lastDeliveryAt = at;
        await saver.save();
        return { ok: true, error: null };
      } catch (err) {
        st.lastError = (err as Error).message.slice(0, 500);
        await saver.save();
        return { ok: false, error: st.lastError };
      }
    },
    pump: () => pumpOnce(),
    start(everyMs = 1000) {
      timer ??= deps.clock.setInterval(() => void pumpOnce(), everyMs);
      void pumpOnce();
    },
    async stop() {
      if (timer !== null) deps.clock.clearInterval(timer);
      timer = null;
      await pumping;
      await saver.flush();
    },
  };
}
