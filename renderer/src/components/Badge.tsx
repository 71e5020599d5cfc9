import type { ReactNode } from 'react';

export const badgeTones = ['ok', 'warn', 'bad', 'muted', 'info', 'accent'] as const;
export type BadgeTone = (typeof badgeTones)[number];

/** A small status pill; `dot` adds a coloured state dot (pulsing for live work). */
export function Badge({
  tone,
  children,
  dot = false,
  pulse = false,
  title,
}: {
  tone: BadgeTone;
  children: ReactNode;
  dot?: boolean;
  pulse?: boolean;
  title?: string;
}) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {dot && <span className={`dot${pulse ? ' dot-pulse' : ''}`} aria-hidden="true" />}
      {children}
    </span>
  );
}

const stateTones: Record<string, BadgeTone> = {
  online: 'ok',
  running: 'ok',
  succeeded: 'ok',
  active: 'ok',
  suspect: 'warn',
  degraded: 'warn',
  pending: 'info',
  deploying: 'info',
  tearing_down: 'info',
  offline: 'bad',
  failed: 'bad',
  never: 'muted',
  stopped: 'muted',
  unknown: 'muted',
  torn_down: 'muted',
};

/** The badge for any state word the master uses (host liveness, decky state, lifecycle status). */
export function StateBadge({
  state,
  title,
  inProgress = false,
}: {
  state: string;
  title?: string;
  inProgress?: boolean;
}) {
  // A lifecycle row "running" is work in progress (blue, pulsing), unlike a decky that is up (green).
  const tone = inProgress ? 'info' : (stateTones[state] ?? 'muted');
  const live = inProgress || state === 'pending' || state === 'deploying' || state === 'tearing_down';
  return (
    <Badge tone={tone} dot pulse={live && tone === 'info'} title={title}>
      {state.replace('_', ' ')}
    </Badge>
  );
}
