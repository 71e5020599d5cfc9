import type { LocalDeckiesOnQuit } from '../../shared/ipc/contract';

/**
 * What quitting the desktop console does with the deckies of its embedded local agent. They
 * outlive the console by design (a crash never takes them down), so a clean quit asks once: keep
 * them serving in the background, or stop them; "remember" stores the answer in Settings.
 */
export type QuitChoice = 'keep' | 'stop' | 'cancel';

/** Nothing to ask when no local decky runs; a remembered choice applies without a dialog. */
export function quitPlan(setting: LocalDeckiesOnQuit, localDeckies: number): 'keep' | 'stop' | 'ask' {
  if (localDeckies === 0) return 'stop';
  return setting;
}

/** The message box (Electron's MessageBoxOptions shape; no Electron import so it is unit-tested). */
export function quitDialogOptions(localDeckies: number) {
  const them = localDeckies === 1 ? 'it' : 'them';
  return {
    type: 'question' as const,
    title: 'Quit DECNET',
    message: `${localDeckies} local ${localDeckies === 1 ? 'decky is' : 'deckies are'} running on this machine.`,
    detail: `Keep ${them} answering attackers after the console quits (the next console takes ${them} over), or stop ${them} now?`,
    buttons: [`Keep ${them} running`, `Stop ${them}`, 'Cancel'],
    defaultId: 0,
    cancelId: 2,
    checkboxLabel: 'Remember my choice (change it in Settings)',
    checkboxChecked: false,
    noLink: true,
  };
}

/** Maps the box's answer; Cancel (or Escape) aborts the quit and remembers nothing. */
export function quitAnswer(
  response: number,
  remember: boolean,
): { choice: QuitChoice; remember: 'keep' | 'stop' | null } {
  const choice: QuitChoice = response === 0 ? 'keep' : response === 1 ? 'stop' : 'cancel';
  return { choice, remember: remember && choice !== 'cancel' ? choice : null };
}
