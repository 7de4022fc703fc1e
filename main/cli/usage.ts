import { readFileSync } from 'node:fs';

/** A usage or input problem on the command line: printed as one line, exit code 2. Shared by every subcommand. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A numeric option in decimal, or undefined when absent; anything else (hex, not a number, out of range) is a UsageError. */
export function num(v: string | undefined, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  // Decimal only: Number() would also read "0x50", "0b1", "" and " 5 ".
  const decimal = opts.int ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const x = decimal.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min) || (opts.max !== undefined && x > opts.max)) {
    const range = `${opts.min ?? '-∞'}..${opts.max ?? '∞'}`;
    throw new UsageError(`--${name} must be ${opts.int ? 'an integer' : 'a number'} in ${range}, got "${v}"`);
  }
  return x;
}

/** A PEM file named by an option (--tls-cert, --etcd-ca, …), or a usage error naming the option. */
export function readPem(file: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${file}: ${(e as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new UsageError(`--${option}: ${file} is not a PEM file`);
  return text;
}
