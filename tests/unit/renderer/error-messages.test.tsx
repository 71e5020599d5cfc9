// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, errorCodes } from '../../../shared/errors';
import { describeError, errorSentences } from '../../../renderer/src/api/error-messages';
import { ErrorNotice } from '../../../renderer/src/components/ErrorNotice';

afterEach(cleanup);

describe('error code → sentence', () => {
  it('has exactly one distinct, complete sentence per registry code', () => {
    expect(Object.keys(errorSentences).sort()).toEqual(Object.keys(errorCodes).sort());
    const sentences = Object.values(errorSentences);
    expect(new Set(sentences).size).toBe(sentences.length);
    for (const s of sentences) expect(s).toMatch(/^[A-Z].{20,}\.$/);
  });

  it('describes an AppError with its sentence and keeps the master message as detail', () => {
    const d = describeError(new AppError('AGENT_UNREACHABLE', 'connect ECONNREFUSED 10.0.0.21:8765'));
    expect(d).toEqual({
      code: 'AGENT_UNREACHABLE',
      sentence: errorSentences.AGENT_UNREACHABLE,
      detail: 'connect ECONNREFUSED 10.0.0.21:8765',
    });
  });

  it('treats anything else as INTERNAL', () => {
    expect(describeError(new Error('boom'))).toMatchObject({ code: 'INTERNAL', detail: 'boom' });
    expect(describeError('weird')).toMatchObject({ code: 'INTERNAL', detail: 'weird' });
  });

  it('renders the sentence, the code and the detail', () => {
    render(
      <ErrorNotice
        error={AppError.fromShape({ code: 'FINGERPRINT_MISMATCH', message: 'expected a3f1…, got 77c0…' })}
      />,
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain(errorSentences.FINGERPRINT_MISMATCH);
    expect(alert.textContent).toContain('FINGERPRINT_MISMATCH');
    expect(alert.textContent).toContain('expected a3f1…, got 77c0…');
  });
});
