import net from 'node:net';
import { spawnSync } from 'node:child_process';
import Modbus from 'jsmodbus';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRegisters, ModbusGridMeter, parseGridMeterUrl } from '../../../main/sources/gridMeter.js';
import { GridFeed } from '../../../main/app/gridFeed.js';
import { until } from '../../helpers.js';

/**
 * A grid meter over Modbus/TCP through a real socket: a Modbus server (jsmodbus, as a power-quality meter would
 * answer) whose holding registers 100–101 carry the site's active power in kW as a big-endian float, switching
 * between 900 and 1,300 kW twice a second (a 1 Hz square wave); Headroom's meter polls it at 20 Hz into the grid feed.
 */
interface FakeMeter {
  port: number;
  holding: Buffer;
  close(): Promise<void>;
}
async function startMeter(port = 0): Promise<FakeMeter> {
  const srv = new net.Server();
  const holding = Buffer.alloc(400);
  new Modbus.server.TCP(srv, { holding });
  const t0 = Date.now();
  const timer = setInterval(() => holding.writeFloatBE(Math.floor((Date.now() - t0) / 500) % 2 ? 1300 : 900, 200), 5);
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  const sockets = new Set<net.Socket>();
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    holding,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe('grid meter over Modbus/TCP', () => {
  it('reads the URL with defaults; a bad one says what is wrong', () => {
    expect(parseGridMeterUrl('modbus://10.0.0.5?register=3000')).toEqual({ host: '10.0.0.5', port: 502, unitId: 1, register: 3000, table: 'holding', format: 'float32', scale: 'kW', toMW: 1e-3, hz: 20 });
    expect(parseGridMeterUrl('modbus://m:5020?register=7&unitId=3&table=input&format=float32le&scale=MW&hz=50')).toMatchObject({ port: 5020, unitId: 3, table: 'input', format: 'float32le', toMW: 1, hz: 50 });
    expect(() => parseGridMeterUrl('modbus://m')).toThrow(/register= is required/);
    expect(() => parseGridMeterUrl('http://m?register=1')).toThrow(/only modbus:\/\//);
    expect(() => parseGridMeterUrl('modbus://m?register=1&hz=500')).toThrow(/hz must be an integer in 1\.\.100/);
    expect(() => parseGridMeterUrl('modbus://m?register=1&colour=red')).toThrow(/unknown parameter "colour"/);
  });

  it('decodes the register pair in each format', () => {
    const be = Buffer.alloc(4);
    be.writeFloatBE(1234.5, 0);
    expect(decodeRegisters(be, 'float32')).toBe(1234.5);
    expect(decodeRegisters(Buffer.from([be[2]!, be[3]!, be[0]!, be[1]!]), 'float32le')).toBe(1234.5);
    const i = Buffer.alloc(4);
    i.writeInt32BE(-56789, 0);
    expect(decodeRegisters(i, 'int32')).toBe(-56789);
  });

  it('polls at 20 Hz into the feed: the square wave at its rate, its 1 Hz line in the spectrum; reconnects after the meter restarts', async () => {
    const meter = await startMeter();
    const spec = parseGridMeterUrl(`modbus://127.0.0.1:${meter.port}?register=100&hz=20`);
    let m: ModbusGridMeter | null = null;
    const feed = new GridFeed({ meter: null, external: { hz: 20, label: 'test meter', connected: () => m?.stats.connected ?? false }, analyseEveryMs: 0 });
    m = new ModbusGridMeter(spec, (t, mw) => feed.sample(t, mw));
    m.start();
    stops.push(() => m.stop());
    stops.push(() => meter.close());
    const engine = { agg: { siteW: 0 }, gridCrossed: [] as readonly string[] } as never;
    await until('four seconds of readings', () => m.stats.answered >= 70, 15_000);
    feed.onTick(engine, Date.now());
    const w = feed.window({ seconds: 60 });
    expect(w.source).toMatchObject({ kind: 'meter', rateHz: 20, connected: true });
    expect(w.source.resolves).toMatch(/^0–10 Hz \(the band above 10 Hz needs a faster meter\)/);
    expect(w.fs).toBe(20);
    expect(w.siteMW.length).toBeGreaterThanOrEqual(70);
    // Every value is one of the two levels, in MW; both appear.
    expect(new Set(w.siteMW)).toEqual(new Set([0.9, 1.3]));
    // A 1 Hz square wave: its fundamental is the spectrum's strongest line.
    let k = 0;
    for (let i = 1; i < w.spectrum.psd.length; i++) if (w.spectrum.psd[i]! > w.spectrum.psd[k]!) k = i;
    expect(w.spectrum.hz[k]).toBeGreaterThan(0.6);
    expect(w.spectrum.hz[k]).toBeLessThan(1.4);
    // 0.4 MW swings every half second: over every limit.
    expect(w.figures.within.dynamicRange).toBe(false);

    // The meter goes away: the connection is seen lost; back on the same port, it reconnects and the gap is held.
    const port = meter.port;
    await meter.close();
    await until('the loss seen', () => !m.stats.connected, 5000);
    await new Promise((r) => setTimeout(r, 600));
    const again = await startMeter(port);
    stops.push(() => again.close());
    const before = m.stats.answered;
    await until('reconnected and reading', () => m.stats.connected && m.stats.answered > before + 10, 15_000);
    const after = feed.window({ seconds: 60 });
    expect(after.source.gapsHeld).toBeGreaterThan(5);
    expect(after.source.connected).toBe(true);
    expect(m.stats.missed).toBeGreaterThan(5);
  }, 40_000);

  it('serve: a bad meter URL is one line and exit 2, nothing started', () => {
    const r = spawnSync(process.execPath, ['bin/headroom.js', 'serve', '--port', '0', '--db', ':memory:', '--grid-meter', 'modbus://127.0.0.1?hz=20'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^headroom: --grid-meter: grid meter: register= is required/);
  });
});
