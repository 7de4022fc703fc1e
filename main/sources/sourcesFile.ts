import { readFileSync } from 'node:fs';
import { SourcesFileSchema, type SourceConfig } from '../../shared/domain/sources.js';
import { ConfigError, parseConfig } from '../sim/config.js';

/** Read a sources file (`sources: [...]`, YAML or JSON); errors name the file, line and field. */
export function loadSourcesFile(file: string): SourceConfig[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, null, '', `cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseConfig(SourcesFileSchema, text, file).sources;
}
