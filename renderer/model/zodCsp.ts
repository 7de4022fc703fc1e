/**
 * Import this before any module that builds zod schemas (shared/domain/sources.ts and what it imports). zod compiles
 * object parsers with `new Function` unless told not to; the console's Content-Security-Policy forbids eval, and even
 * zod's caught probe would be reported as a CSP violation. Jitless parsing is plenty fast for a form.
 */
import { config } from 'zod';

config({ jitless: true });
