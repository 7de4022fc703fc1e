/** A request trace: arrival offsets (s from the first request) and token counts, columnar. */
export interface Trace {
  name: string;
  arrivalS: Float64Array;
  contextTokens: Int32Array;
  generatedTokens: Int32Array;
  durationS: number;
}

/**
 * Parse an Azure LLM inference trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens). Timestamps are
 * "YYYY-MM-DD HH:MM:SS.fffffff" (UTC). Throws with the line number on a malformed line.
 */
export function parseAzureTrace(name: string, csv: string): Trace {
  const lines = csv.split(/\r?\n/);
  if (!/^TIMESTAMP,ContextTokens,GeneratedTokens$/.test(lines[0]?.trim() ?? '')) {
    throw new Error(`${name}: line 1: expected header TIMESTAMP,ContextTokens,GeneratedTokens`);
  }
  const arrival: number[] = [];
  const ctx: number[] = [];
  const gen: number[] = [];
  let t0 = NaN;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const [ts, c, g] = line.split(',');
    const t = Date.parse((ts ?? '').replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1') + 'Z');
    const ci = Number(c);
    const gi = Number(g);
    if (!Number.isFinite(t) || !Number.isInteger(ci) || !Number.isInteger(gi) || ci < 0 || gi < 0) {
      throw new Error(`${name}: line ${i + 1}: malformed request "${line.slice(0, 80)}"`);
    }
    if (Number.isNaN(t0)) t0 = t;
    arrival.push((t - t0) / 1000);
    ctx.push(ci);
    gen.push(gi);
  }
  if (arrival.length === 0) throw new Error(`${name}: no requests`);
  const durationS = arrival[arrival.length - 1]! + 1;
  return { name, arrivalS: Float64Array.from(arrival), contextTokens: Int32Array.from(ctx), generatedTokens: Int32Array.from(gen), durationS };
}
