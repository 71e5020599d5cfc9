import { services as serviceCatalog, isServiceName } from '../../../../shared/catalog/services';
import { DeployPlanRequest } from '../../../../shared/ipc/contract';
import type { CommandInput } from '../../../../shared/ipc/types';
import { zodIssueLines } from '../../../../shared/errors';
import { intervalRange, type MutationValue, toMutateInterval } from '../../lib/mutate-interval';

/** What the deploy wizard's form holds before it becomes a `deckies.plan` request. */
export type DeployDraft = {
  /** 'spread' (over live hosts) or a host uuid. */
  target: string;
  count: number;
  mode: 'archetype' | 'services';
  archetype: string;
  services: string[];
  distro: string;
  /** A prefix (`edge` → edge-01, …) or a pattern with {tokens}; empty: the archetype's own pattern. */
  names: string;
  /** persona[service][key] as typed; converted by the catalogue's key type on submit. */
  persona: Record<string, Record<string, string>>;
  /** Periodic mutation: the fleet default unless the analyst picks an interval or turns it off. */
  mutation: MutationValue;
};

export const emptyDraft: DeployDraft = {
  target: 'spread',
  count: 3,
  mode: 'archetype',
  archetype: 'linux-server',
  services: [],
  distro: '',
  names: '',
  persona: {},
  mutation: { mode: 'default', minutes: intervalRange.initial },
};

type PersonaValue = string | number | boolean;

function personaFor(
  draft: DeployDraft,
  serviceNames: readonly string[],
): Record<string, Record<string, PersonaValue>> | undefined {
  const out: Record<string, Record<string, PersonaValue>> = {};
  for (const [svc, keys] of Object.entries(draft.persona)) {
    if (!isServiceName(svc) || !serviceNames.includes(svc)) continue;
    const defs: Record<string, { type: string }> = serviceCatalog[svc].persona;
    for (const [key, raw] of Object.entries(keys)) {
      if (raw.trim() === '' || !defs[key]) continue;
      const type = defs[key].type;
      const value: PersonaValue = type === 'int' ? Number(raw) : type === 'bool' ? raw === 'true' : raw;
      (out[svc] ??= {})[key] = value;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** Builds and validates the request with the contract's own schema; errors read `field: message`. */
export function draftToRequest(
  draft: DeployDraft,
  archetypeServices: readonly string[],
): { request: CommandInput<'deckies.plan'> | null; errors: string[] } {
  const chosen = draft.mode === 'archetype' ? archetypeServices : draft.services;
  const candidate = {
    ...(draft.target !== 'spread' && { hostUuid: draft.target }),
    count: draft.count,
    ...(draft.mode === 'archetype' ? { archetype: draft.archetype } : { services: draft.services }),
    ...(draft.distro && { distro: draft.distro }),
    ...(draft.names && (draft.names.includes('{') ? { namePattern: draft.names } : { namePrefix: draft.names })),
    ...(personaFor(draft, chosen) && { serviceConfig: personaFor(draft, chosen) }),
    ...(draft.mutation.mode !== 'default' && { mutateInterval: toMutateInterval(draft.mutation) }),
  };
  const parsed = DeployPlanRequest.safeParse(candidate);
  if (parsed.success) return { request: parsed.data, errors: [] };
  return {
    request: null,
    errors: zodIssueLines(parsed.error),
  };
}
