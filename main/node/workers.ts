import { Worker } from 'node:worker_threads';

/**
 * Start a worker thread from a module next to `base` (pass `import.meta.url`). From compiled JS it loads
 * `<name>.js`; from TypeScript sources (tests, tsx) it registers tsx's loader inside the worker first, then imports
 * `<name>.ts`, so the same code runs under both.
 */
export function startWorker(base: string, name: string, workerData: unknown): Worker {
  if (base.endsWith('.ts')) {
    const src = new URL(`./${name}.ts`, base).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(src)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(new URL(`./${name}.js`, base), { workerData });
}
