import { renameSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { recordingReportHtml } from '../app/incidents.js';
import { openRecording } from '../store/recording.js';
import { UsageError } from './usage.js';

/** `headroom report F.headroom --out incident.html`: the recording as a self-contained HTML incident report. */
export function reportCommand(args: string[]): number {
  const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { out: { type: 'string' } } });
  const [file] = positionals;
  if (!file || !values.out || positionals.length > 1) throw new UsageError('usage: headroom report F.headroom --out incident.html');
  const db = openRecording(file);
  let html: string;
  try {
    html = recordingReportHtml(db, file, statSync(file).size).html;
  } finally {
    db.close();
  }
  const tmp = `${values.out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, values.out);
  console.error(`incident report → ${values.out}`);
  return 0;
}
