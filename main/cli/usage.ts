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
