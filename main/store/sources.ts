import type { SavedSource, SourcesState } from '../core/ports.js';
import type { DB } from './db.js';

/** Settings → Sources of a real fleet in control.db (table fleet_sources; migration 101). Database first. */

/** Saved sources in the order they were added; body = the SourceConfig as JSON, validated by the reader. */
export function savedSources(db: DB): SavedSource[] {
  return db.prepare('SELECT id, body FROM fleet_sources ORDER BY added_at_ms, id').all() as SavedSource[];
}

export function saveSource(db: DB, id: string, body: string, by: string, atMs: number): void {
  db.prepare('INSERT INTO fleet_sources (id, body, added_by, added_at_ms) VALUES (?, ?, ?, CAST(? AS INTEGER))').run(id, body, by, atMs);
}

export function deleteSource(db: DB, id: string): void {
  db.prepare('DELETE FROM fleet_sources WHERE id = ?').run(id);
}

/** The SourcesState port over control.db. */
export function sourcesState(db: DB): SourcesState {
  return {
    transaction: (fn) => db.transaction(fn)(),
    list: () => savedSources(db),
    save: (id, body, by, atMs) => saveSource(db, id, body, by, atMs),
    delete: (id) => deleteSource(db, id),
  };
}
