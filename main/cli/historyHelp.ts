/** Help for the history commands (kept apart so `headroom help` loads nothing heavy). */
export const HISTORY_HELP = `  headroom history info [--db FILE] [--json]
                               what a telemetry.db holds: runs (id, kind, scenario, start, end, samples), samples,
                               bytes, bytes per GPU-sample, dropped ticks; opened read-only
  headroom record [--db FILE] [--run N] [--from T] [--to T] --out F.headroom [--control FILE] [--author A] [--notes N]
                               save a run's window (default: the latest run, whole) as one recording file; T is an
                               ISO time or epoch ms of the run's clock; audit records of the window come from
                               --control (default: control.db next to --db)
  headroom recording info F.headroom [--json]
                               gpus, rows, start, duration, samples, bytes, schema version, source of a recording
  headroom replay F.headroom [--policy headroom|polca|polca-no-priority|none|FILE.json] [--out report.json]
                               re-run a recorded simulation through another policy (default: its own, which gives
                               the recorded report back, identical); writes the report of headroom sim
  headroom report F.headroom --out incident.html
                               a self-contained HTML incident report (facts, power vs budget per row, timeline,
                               actions with who and why, notes) that opens offline in any browser
  headroom import nvidia-smi LOG.csv [LOG2.csv …] --inventory inv.yaml --out F.headroom [--utc-offset-min M]
                               nvidia-smi --query-gpu=timestamp,uuid,power.draw,… --format=csv -l 1 logs → a
                               recording, GPUs placed by UUID through the inventory; timestamps read as UTC unless
                               --utc-offset-min says the log's local time zone; bad lines: file, line, field
  headroom import prometheus (RANGE.json … | --url URL --from T --to T [--step S]) --inventory inv.yaml --out F.headroom
                               dcgm-exporter metrics from Prometheus range queries (saved /api/v1/query_range JSON,
                               or asked of a live server) → a recording, placed by Hostname and UUID`;
