import { version } from '../package.json';
import { PROTOCOL_VERSION } from '../shared/domain/host';

/** The real package version, inlined by the bundler at build time (never "unknown", its §13.20). */
export const AGENT_VERSION: string = version;
export const AGENT_PROTOCOL: number = PROTOCOL_VERSION;
