import { createSmtpModule } from './smtp';
import type { ServiceModule } from '../kit/types';

/**
 * The open-relay variant: same Postfix persona, but RCPT accepts any domain. Spammers test relays
 * with a message to their own mailbox; it is recorded and never delivered.
 */
export const smtpRelayService: ServiceModule = createSmtpModule('smtp_relay', true);
