import { TopologyDraft } from '../../../../shared/ipc/contract';
import type { CommandInput } from '../../../../shared/ipc/types';

export type LanDraft = { id: string; name: string; subnet: string; isDmz: boolean };
export type DeckyDraft = { uuid: string; name: string; services: string[]; ips: Record<string, string> };
export type TopologyForm = { name: string; lans: LanDraft[]; deckies: DeckyDraft[] };

let seq = 0;
/** Ids only need to be unique inside one topology; the master keeps them as given. */
export const newId = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${(seq += 1)}`;

export function newLan(index: number): LanDraft {
  return {
    id: newId('lan'),
    name: index === 0 ? 'dmz' : `lan-${index}`,
    subnet: `10.${10 + index}.0.0/24`,
    isDmz: index === 0,
  };
}

export function newDecky(index: number): DeckyDraft {
  return { uuid: newId('decky'), name: `node-${String(index + 1).padStart(2, '0')}`, services: ['ssh'], ips: {} };
}

/** Suggests the next free host address in a /24-style subnet for a decky joining a LAN. */
export function suggestIp(subnet: string, taken: readonly string[]): string {
  const base = subnet.split('/')[0]?.split('.').slice(0, 3).join('.') ?? '10.0.0';
  for (let host = 10; host < 255; host++) {
    const ip = `${base}.${host}`;
    if (!taken.includes(ip)) return ip;
  }
  return `${base}.10`;
}

/**
 * Builds the `topologies.create` input. An edge exists for every LAN a decky has an address on,
 * so "attached" and "has an IP there" can never disagree.
 */
export function formToDraft(form: TopologyForm): { draft: CommandInput<'topologies.create'> | null; errors: string[] } {
  const lanIds = new Set(form.lans.map((l) => l.id));
  const candidate = {
    name: form.name.trim(),
    lans: form.lans.map((l) => ({ id: l.id, name: l.name.trim(), subnet: l.subnet.trim(), isDmz: l.isDmz })),
    deckies: form.deckies.map((d) => ({
      uuid: d.uuid,
      name: d.name.trim(),
      services: d.services,
      ipsByLan: Object.fromEntries(Object.entries(d.ips).filter(([lan]) => lanIds.has(lan))),
    })),
    edges: form.deckies.flatMap((d) =>
      Object.keys(d.ips)
        .filter((lan) => lanIds.has(lan))
        .map((lan) => ({ id: `${d.uuid}--${lan}`, deckyUuid: d.uuid, lanId: lan })),
    ),
  };
  const errors: string[] = [];
  const names = new Set<string>();
  for (const d of candidate.deckies) {
    if (names.has(d.name)) errors.push(`decky name "${d.name}" appears twice`);
    names.add(d.name);
    if (Object.keys(d.ipsByLan).length === 0) errors.push(`${d.name || 'a decky'} is attached to no LAN`);
  }
  const parsed = TopologyDraft.safeParse(candidate);
  if (!parsed.success) {
    errors.push(
      ...parsed.error.issues.map((i) => {
        const [section, index, ...rest] = i.path;
        const where =
          section === 'lans'
            ? `LAN ${Number(index) + 1}`
            : section === 'deckies'
              ? `decky ${Number(index) + 1}`
              : String(section ?? '');
        return `${where}${rest.length ? ` ${rest.join('.')}` : ''}: ${i.message}`;
      }),
    );
  }
  return errors.length || !parsed.success ? { draft: null, errors } : { draft: parsed.data, errors };
}
