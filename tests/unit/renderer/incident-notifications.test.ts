import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../shared/domain/alerts';
import {
  createIncidentTracker,
  incidentNotificationText,
} from '../../../renderer/src/features/incidents/desktop-notifications';

const incident = (id: string, count = 1): Incident => ({
  id,
  rule: 'first-contact',
  source: '203.0.113.9',
  title: 'First contact from 203.0.113.9 on web-01 (ssh)',
  deckies: ['web-01'],
  services: ['ssh'],
  firstAt: '2026-12-04T04:00:00.000Z',
  lastAt: '2026-12-04T04:00:00.000Z',
  count,
  state: 'open',
});

const [A, B, C] = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

describe('incident notifications in the browser', () => {
  it('notifies each newly opened incident once, never those open when the page loaded nor their repeats', () => {
    const t = createIncidentTracker();
    t.seed([incident(A)]);
    expect(t.fresh([incident(A, 5), incident(B)]).map((i) => i.id)).toEqual([B]);
    // B folds in 40 more events: already told.
    expect(t.fresh([incident(A, 6), incident(B, 41)])).toEqual([]);
    expect(t.fresh([incident(C)]).map((i) => i.id)).toEqual([C]);
  });

  it('says what the desktop console says, cut to 500 characters', () => {
    expect(incidentNotificationText(incident(A))).toEqual({
      title: 'DECNET: new incident',
      body: 'First contact from 203.0.113.9 on web-01 (ssh) (source 203.0.113.9)',
    });
    expect(incidentNotificationText({ title: 'x'.repeat(600), source: 's' }).body).toHaveLength(500);
  });
});
