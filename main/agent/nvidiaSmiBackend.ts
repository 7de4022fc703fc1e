import { execFile, type ExecFileException } from 'node:child_process';
import { GpuInfoSchema, GpuUuidSchema, MAX_GPUS_PER_HOST, type AgentReading, type GpuInfo } from '../../shared/agentProtocol.js';
import { NVIDIA_SMI_QUERY, parseNvidiaSmiQuery, type NvidiaSmiReading } from './nvidiaSmiParser.js';
import { BackendError, type GpuBackend } from './backend.js';

/**
 * The host agent's backend for real GPUs: it runs `nvidia-smi` (no shell, with a timeout) and parses its CSV with the
 * tested parser. nvidia-smi rather than NVML bindings: it ships with every driver, needs no native module in the
 * agent, and operators can run the exact same commands by hand (every command is listed below).
 *
 * - read:            `nvidia-smi ${NVIDIA_SMI_QUERY}`
 * - discover:        the same, plus `--query-gpu=index,power.default_limit --format=csv,noheader,nounits`
 * - setPowerLimit:   `nvidia-smi -i <uuid> -pl <watts, 2 decimals>`
 * - lockClocks:      `nvidia-smi -i <uuid> -lgc <min>,<max>`
 * - resetClocks:     `nvidia-smi -i <uuid> -rgc`
 *
 * Actions target the GPU by UUID, not index: indices can change when a driver reload renumbers the GPUs, and a cap
 * must never land on the wrong one.
 *
 * Control calls run one at a time (a promise chain), so two commands never interleave on the driver. Every value is
 * checked against the GPU's range from discover() before nvidia-smi runs, so a refused value never reaches the tool.
 */

/** Extra discover query: the default limit is not in NVIDIA_SMI_QUERY (which the parser owns) and is asked separately. */
export const NVIDIA_SMI_DEFAULT_LIMIT_QUERY = '--query-gpu=index,power.default_limit --format=csv,noheader,nounits';

/**
 * Lowest SM clock Headroom locks to when nvidia-smi cannot say. `--query-gpu` has no field for it, but
 * `--query-supported-clocks=graphics` lists the GPU's graphics clocks: on a real H200 (driver 580, checked
 * 2026-12-04) 110 clocks from 345 to 1980 MHz. nvidia-smi ACCEPTS any `-lgc` pair (it answered "GPU clocks set to
 * (gpuClkMin 1, gpuClkMax 2)" with exit 0), so the floor must come from the supported list, not from a refusal.
 * Where the list is unavailable, 210 MHz (the bottom of the A100/H100 tables); override with `minClockMHz`.
 */
export const DEFAULT_MIN_CLOCK_MHZ = 210;

/** The supported-clocks query for one GPU (add `-i <uuid>`). */
export const NVIDIA_SMI_SUPPORTED_CLOCKS_QUERY = '--query-supported-clocks=graphics --format=csv,noheader,nounits';

/** nvidia-smi(1) RETURN VALUE, for operators reading an error. */
const EXIT_HINTS: Readonly<Record<number, string>> = Object.freeze({
  2: 'invalid argument',
  3: 'operation not available on this GPU',
  4: 'insufficient permissions: run the agent as root',
  6: 'query unsuccessful',
  8: 'external power cables not attached',
  9: 'NVIDIA driver not loaded',
  10: 'kernel interrupt problem',
  12: 'NVML library not found',
  14: 'infoROM corrupted',
  15: 'a GPU has fallen off the bus: check dmesg and reseat or reset it',
});

const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface NvidiaSmiBackendOptions {
  /** nvidia-smi to run (default: `nvidia-smi` on PATH). */
  nvidiaSmi?: string;
  /** Kill nvidia-smi after this long (ms, default 5000): a hung driver must not hang the agent. */
  timeoutMs?: number;
  /** Read only: discover and read work without root; every control call is refused. */
  readOnly?: boolean;
  /** Whether the agent runs as root (default: `process.getuid?.() === 0`); setting limits needs root. */
  isRoot?: () => boolean;
  /** Lowest SM clock a lock may ask for (default DEFAULT_MIN_CLOCK_MHZ). */
  minClockMHz?: number;
}

interface RunOutput {
  stdout: string;
  stderr: string;
}

/** First non-empty line of the tool's own words (stderr first, then stdout: nvidia-smi prints most errors to stdout). */
function firstLine(out: RunOutput): string {
  const line = `${out.stderr}\n${out.stdout}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return line === undefined ? '(no output)' : line.slice(0, 300);
}

type NullableValue = 'powerW' | 'limitW' | 'tempC' | 'memTempC' | 'smClockMHz' | 'utilPct';

/** Fields named at the start of parser/validator reasons, mapped to the AgentReading value to null. */
const REASON_FIELDS: ReadonlyArray<readonly [string, NullableValue]> = [
  ['powerW', 'powerW'],
  ['power.draw', 'powerW'],
  ['limitW', 'limitW'],
  ['power.limit', 'limitW'],
  ['enforced.power.limit', 'limitW'],
  ['tempC', 'tempC'],
  ['temperature.gpu', 'tempC'],
  ['memTempC', 'memTempC'],
  ['temperature.memory', 'memTempC'],
  ['smClockMHz', 'smClockMHz'],
  ['clocks.sm', 'smClockMHz'],
  ['utilPct', 'utilPct'],
  ['utilization.gpu', 'utilPct'],
];

/** A finite number or null: JSON has no NaN/Inf and the protocol carries "not reported" as null. */
function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/** The protocol reading for one parsed row; values an invalid row's reasons name are nulled, never passed on. */
export function toAgentReading(r: NvidiaSmiReading, uuid: string): AgentReading {
  const out: AgentReading = {
    uuid,
    powerW: finite(r.powerW),
    limitW: finite(r.enforcedLimitW ?? r.limitW),
    tempC: finite(r.tempC),
    memTempC: finite(r.memTempC),
    smClockMHz: finite(r.smClockMHz),
    utilPct: finite(r.utilPct),
    clockEventMask: r.clockEventMask,
  };
  for (const reason of r.invalidReasons) {
    const hit = REASON_FIELDS.find(([prefix]) => reason === prefix || reason.startsWith(`${prefix} `));
    if (hit) out[hit[1]] = null;
  }
  return out;
}

/** Backend for hosts with NVIDIA GPUs and nvidia-smi; see the module comment for the exact commands. */
export class NvidiaSmiBackend implements GpuBackend {
  readonly kind = 'nvidia-smi' as const;
  private readonly bin: string;
  private readonly timeoutMs: number;
  private readonly readOnly: boolean;
  private readonly isRoot: () => boolean;
  /** Set by the operator (`minClockMHz`): wins over the supported-clocks list. */
  private readonly minClockMHz: number | null;
  private gpus = new Map<number, GpuInfo>();
  /** Tail of the control-call chain: each call starts after the previous one settled. */
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(opts: NvidiaSmiBackendOptions = {}) {
    this.bin = opts.nvidiaSmi ?? 'nvidia-smi';
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.readOnly = opts.readOnly ?? false;
    this.isRoot = opts.isRoot ?? (() => process.getuid?.() === 0);
    this.minClockMHz = opts.minClockMHz ?? null;
  }

  /** Find the GPUs and their limits (root needed unless read-only, since the agent will set limits). */
  async discover(): Promise<GpuInfo[]> {
    if (!this.readOnly && !this.isRoot()) {
      throw new BackendError('the nvidia-smi backend sets power limits and needs root: run the agent as root, or pass --read-only');
    }
    const rows = await this.query();
    if (rows.length === 0) throw new BackendError('nvidia-smi reports no GPUs: check that the driver sees them (`nvidia-smi -L`)');
    if (rows.length > MAX_GPUS_PER_HOST) throw new BackendError(`nvidia-smi reports ${rows.length} GPUs; an agent handles at most ${MAX_GPUS_PER_HOST}`);
    const defaults = await this.defaultLimits();
    const floors = new Map<number, number | null>();
    for (const r of rows) floors.set(r.index, this.minClockMHz ?? (await this.lowestSupportedClock(r.uuid)));
    const infos = rows.map((r) => this.toInfo(r, defaults.get(r.index), floors.get(r.index) ?? DEFAULT_MIN_CLOCK_MHZ));
    assertDistinct(infos);
    this.gpus = new Map(infos.map((g) => [g.index, g]));
    return infos.map((g) => ({ ...g }));
  }

  /** One reading per GPU, now. Invalid rows are returned with their offending values nulled and counted. */
  async read(): Promise<{ tMs: number; readings: AgentReading[]; invalid: number }> {
    const rows = await this.query();
    const tMs = Date.now();
    const readings: AgentReading[] = [];
    let invalid = 0;
    for (const r of rows) {
      const uuid = GpuUuidSchema.safeParse(r.uuid).success ? r.uuid : this.gpus.get(r.index)?.uuid;
      if (!r.valid || uuid !== r.uuid) invalid++;
      if (uuid !== undefined) readings.push(toAgentReading(r, uuid));
    }
    return { tMs, readings, invalid };
  }

  /** `nvidia-smi -i <uuid> -pl <watts>`, refused outside the GPU's [min, max] limit range. */
  async setPowerLimit(index: number, watts: number): Promise<void> {
    const g = this.controllable(index, 'set a power limit');
    if (!Number.isFinite(watts)) throw new BackendError(`power limit for GPU ${index} must be a finite number of watts, got ${watts}`);
    if (watts < g.minLimitW || watts > g.maxLimitW) {
      throw new BackendError(`power limit ${watts} W is outside GPU ${index}'s range ${g.minLimitW}–${g.maxLimitW} W`);
    }
    await this.serial(() => this.run(['-i', g.uuid, '-pl', watts.toFixed(2)]));
  }

  /** `nvidia-smi -i <uuid> -lgc <min>,<max>`: whole MHz, min ≤ max, within the GPU's clock range. */
  async lockClocks(index: number, minMHz: number, maxMHz: number): Promise<void> {
    const g = this.controllable(index, 'lock clocks');
    if (!Number.isInteger(minMHz) || !Number.isInteger(maxMHz)) throw new BackendError(`clock lock for GPU ${index} must be whole MHz, got ${minMHz},${maxMHz}`);
    if (minMHz > maxMHz) throw new BackendError(`clock lock for GPU ${index}: min ${minMHz} MHz is above max ${maxMHz} MHz`);
    if (minMHz < g.minClockMHz || maxMHz > g.maxClockMHz) {
      throw new BackendError(`clock lock ${minMHz}–${maxMHz} MHz is outside GPU ${index}'s range ${g.minClockMHz}–${g.maxClockMHz} MHz`);
    }
    await this.serial(() => this.run(['-i', g.uuid, '-lgc', `${minMHz},${maxMHz}`]));
  }

  /** `nvidia-smi -i <uuid> -rgc`: back to the driver's default clock behaviour. */
  async resetClocks(index: number): Promise<void> {
    const g = this.controllable(index, 'reset clocks');
    await this.serial(() => this.run(['-i', g.uuid, '-rgc']));
  }

  /** Waits for a control call in flight, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private controllable(index: number, what: string): GpuInfo {
    if (this.closed) throw new BackendError('the nvidia-smi backend is closed');
    if (this.readOnly) throw new BackendError(`read-only agent: refusing to ${what} on GPU ${index} (started with --read-only)`);
    const g = this.gpus.get(index);
    if (!g) throw new BackendError(`GPU ${index} is not on this host (known: ${[...this.gpus.keys()].join(', ') || 'none; run discover first'})`);
    return g;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async query(): Promise<NvidiaSmiReading[]> {
    const out = await this.run(NVIDIA_SMI_QUERY.split(' '));
    const parsed = parseNvidiaSmiQuery(out.stdout, { maxBytes: MAX_OUTPUT_BYTES });
    if (!parsed.ok) {
      throw new BackendError(`nvidia-smi output could not be parsed (line ${parsed.error.line}: ${parsed.error.message}); first line: ${firstLine({ stdout: out.stdout, stderr: '' })}`);
    }
    return parsed.readings;
  }

  /** index → power.default_limit (W); a GPU without one falls back to its max limit in toInfo. */
  private async defaultLimits(): Promise<Map<number, number>> {
    const out = await this.run(NVIDIA_SMI_DEFAULT_LIMIT_QUERY.split(' '));
    const m = new Map<number, number>();
    for (const [i, line] of out.stdout.split('\n').entries()) {
      if (line.trim() === '') continue;
      const cells = line.split(',').map((c) => c.trim());
      if (cells.length !== 2 || !/^\d+$/.test(cells[0]!)) throw new BackendError(`nvidia-smi default-limit output could not be parsed (line ${i + 1}): ${line.slice(0, 100)}`);
      const w = Number(cells[1]);
      if (/^\d+(\.\d+)?$/.test(cells[1]!) && w > 0) m.set(Number(cells[0]), w);
    }
    return m;
  }

  /** The lowest graphics clock nvidia-smi lists for a GPU, or null where it lists none (older tools, MIG, vGPU). */
  private async lowestSupportedClock(uuid: string): Promise<number | null> {
    try {
      const out = await this.run(['-i', uuid, ...NVIDIA_SMI_SUPPORTED_CLOCKS_QUERY.split(' ')]);
      const clocks = out.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^\d+$/.test(l))
        .map(Number)
        .filter((x) => x > 0);
      return clocks.length ? Math.min(...clocks) : null;
    } catch {
      return null;
    }
  }

  private toInfo(r: NvidiaSmiReading, defaultW: number | undefined, floorMHz: number): GpuInfo {
    const who = `GPU ${Number.isNaN(r.index) ? '?' : r.index} (line ${r.line}, ${r.uuid || 'no UUID'})`;
    const lo = finite(r.minLimitW);
    const hi = finite(r.maxLimitW);
    if (lo === null || hi === null || lo <= 0 || lo > hi) {
      throw new BackendError(`${who} reports no usable power-limit range (power.min_limit ${r.minLimitW}, power.max_limit ${r.maxLimitW}): power management is unavailable, so Headroom cannot cap it`);
    }
    const maxClock = finite(r.maxSmClockMHz);
    if (maxClock === null || maxClock <= 0) throw new BackendError(`${who} reports no max SM clock (clocks.max.sm): cannot bound clock locks`);
    const info = {
      index: r.index,
      uuid: r.uuid,
      name: r.name,
      minLimitW: lo,
      maxLimitW: hi,
      defaultLimitW: defaultW !== undefined && defaultW >= lo && defaultW <= hi ? defaultW : hi,
      minClockMHz: Math.min(floorMHz, maxClock),
      maxClockMHz: maxClock,
    };
    const ok = GpuInfoSchema.safeParse(info);
    if (!ok.success) {
      const issue = ok.error.issues[0]!;
      throw new BackendError(`${who} is not usable: ${issue.path.join('.')}: ${issue.message}`);
    }
    return ok.data;
  }

  private run(args: string[]): Promise<RunOutput> {
    return new Promise((resolve, reject) => {
      execFile(this.bin, args, { timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', windowsHide: true }, (err, stdout, stderr) => {
        if (err) reject(this.explain(err, args, { stdout, stderr }));
        else resolve({ stdout, stderr });
      });
    });
  }

  /** Turn a failed run into a message an operator can act on. */
  private explain(err: ExecFileException, args: string[], out: RunOutput): BackendError {
    const cmd = `nvidia-smi ${args.join(' ')}`;
    if (err.code === 'ENOENT') return new BackendError(`nvidia-smi not found (looked for '${this.bin}'): install the NVIDIA driver or pass --nvidia-smi PATH`);
    if (err.code === 'EACCES') return new BackendError(`nvidia-smi at '${this.bin}' cannot be run (permission denied): check the path and its execute bit`);
    if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return new BackendError(`\`${cmd}\` printed more than ${MAX_OUTPUT_BYTES} bytes: is '${this.bin}' really nvidia-smi?`);
    if (err.killed && err.signal === 'SIGKILL') {
      return new BackendError(`\`${cmd}\` did not finish within ${this.timeoutMs} ms and was killed: the driver may be hung (check dmesg, run nvidia-smi by hand)`);
    }
    if (typeof err.code === 'number') {
      const hint = EXIT_HINTS[err.code];
      return new BackendError(`\`${cmd}\` failed with exit status ${err.code}${hint ? ` (${hint})` : ''}: ${firstLine(out)}`);
    }
    if (err.signal) return new BackendError(`\`${cmd}\` was killed by ${err.signal}`);
    return new BackendError(`\`${cmd}\` could not be run: ${err.message}`);
  }
}

/** Two rows with one index or one UUID would make the agent act on the wrong GPU. */
function assertDistinct(infos: GpuInfo[]): void {
  const seen = new Set<string>();
  for (const g of infos) {
    for (const key of [`index ${g.index}`, `UUID ${g.uuid}`]) {
      if (seen.has(key)) throw new BackendError(`nvidia-smi reports two GPUs with ${key}: refusing to guess which one to control`);
      seen.add(key);
    }
  }
}
