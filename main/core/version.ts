/** Reported by settings.get and the CLI; bumped with package.json. */
export const MASTER_VERSION = '0.1.0';
