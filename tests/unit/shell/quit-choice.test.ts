import { describe, expect, it } from 'vitest';
import { quitAnswer, quitDialogOptions, quitPlan } from '../../../main/shell/quit-choice';

describe('quitting the console with local deckies', () => {
  it('asks only when local deckies run and nothing is remembered', () => {
    expect(quitPlan('ask', 0)).toBe('stop');
    expect(quitPlan('keep', 0)).toBe('stop');
    expect(quitPlan('ask', 3)).toBe('ask');
    expect(quitPlan('keep', 3)).toBe('keep');
    expect(quitPlan('stop', 3)).toBe('stop');
  });

  it('names how many deckies run, keeps them by default, and Cancel is the escape answer', () => {
    const one = quitDialogOptions(1);
    expect(one.message).toBe('1 local decky is running on this machine.');
    expect(one.buttons).toEqual(['Keep it running', 'Stop it', 'Cancel']);
    const many = quitDialogOptions(4);
    expect(many.message).toBe('4 local deckies are running on this machine.');
    expect(many.buttons[many.defaultId]).toBe('Keep them running');
    expect(many.buttons[many.cancelId]).toBe('Cancel');
    expect(many.checkboxChecked).toBe(false);
  });

  it('remembers keep or stop only when the box is ticked, never a cancel', () => {
    expect(quitAnswer(0, false)).toEqual({ choice: 'keep', remember: null });
    expect(quitAnswer(0, true)).toEqual({ choice: 'keep', remember: 'keep' });
    expect(quitAnswer(1, true)).toEqual({ choice: 'stop', remember: 'stop' });
    expect(quitAnswer(2, true)).toEqual({ choice: 'cancel', remember: null });
  });
});
