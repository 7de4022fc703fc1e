import { ServerProcess } from '../processHarness.js';

export { freePort } from '../processHarness.js';

/** The real Prometheus server for a test: started on a loopback port, polled until ready, its log kept for failures. */
export class PrometheusProcess extends ServerProcess {
  constructor() {
    super('prometheus');
  }

  /** Spawn `bin` with `config` and a TSDB folder on 127.0.0.1:`port`; resolves once `/-/ready` answers. */
  start(bin: string, config: string, tsdb: string, port: number): Promise<void> {
    return this.spawnReady(bin, [`--config.file=${config}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`], `http://127.0.0.1:${port}/-/ready`);
  }
}
