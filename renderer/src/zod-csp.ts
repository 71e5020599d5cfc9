import { z } from 'zod';

/*
 * zod 4 compiles object parsers with `new Function` unless told otherwise; the console's CSP has
 * no 'unsafe-eval', so that fails (and even the probe is reported as a violation). This module
 * is imported first by main.tsx so the setting holds before any schema is created.
 */
z.config({ jitless: true });
