import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { AuditRecord } from '../../shared/domain/control.js';
import type { ResponseOf } from '../../shared/contract.js';
import { attempt } from '../api/index.js';
import { EMPTY_FILTER, auditQuery, matchesFilter, olderCursor, prependLive, type AuditFilter } from '../model/audit.js';

export const AUDIT_PAGE = 50;

/** The audit view: one page of records (newest first) under a filter, live appends, chain verification. */
export const useAuditStore = defineStore('audit', () => {
  const filter = ref<AuditFilter>({ ...EMPTY_FILTER });
  const page = shallowRef<AuditRecord[]>([]);
  /** Cursors of the pages before this one (newest page: empty stack), so "Newer" goes back exactly. */
  const cursors = ref<Array<number | null>>([]);
  const cursor = ref<number | null>(null);
  const hasOlder = ref(false);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const verify = shallowRef<ResponseOf<'audit:verify'> | null>(null);
  const verifying = ref(false);
  /** Seqs that arrived live since the page was loaded (highlighted briefly). */
  const fresh = ref<Set<number>>(new Set());
  /** Actors seen, for the actor filter's suggestions. */
  const actors = ref<string[]>([]);
  let seq = 0;

  async function load(beforeSeq: number | null = cursor.value): Promise<void> {
    const my = ++seq;
    loading.value = true;
    error.value = null;
    // One more than a page tells whether an older page exists.
    const r = await attempt('audit:list', auditQuery(filter.value, beforeSeq, AUDIT_PAGE + 1));
    if (my !== seq) return;
    loading.value = false;
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    cursor.value = beforeSeq;
    hasOlder.value = r.value.length > AUDIT_PAGE;
    page.value = markRaw(r.value.slice(0, AUDIT_PAGE));
    noteActors(page.value);
  }

  function noteActors(list: readonly AuditRecord[]): void {
    const s = new Set(actors.value);
    let changed = false;
    for (const r of list) {
      if (s.has(r.actor)) continue;
      s.add(r.actor);
      changed = true;
    }
    if (changed) actors.value = [...s].sort();
  }

  function applyFilter(f: Partial<AuditFilter>): Promise<void> {
    filter.value = { ...filter.value, ...f };
    cursors.value = [];
    return load(null);
  }
  function resetFilter(): Promise<void> {
    return applyFilter({ ...EMPTY_FILTER });
  }

  async function older(): Promise<void> {
    const c = olderCursor(page.value);
    if (c === null || !hasOlder.value) return;
    cursors.value = [...cursors.value, cursor.value];
    await load(c);
  }
  async function newer(): Promise<void> {
    if (!cursors.value.length) return;
    const prev = cursors.value[cursors.value.length - 1]!;
    cursors.value = cursors.value.slice(0, -1);
    await load(prev);
  }
  async function newest(): Promise<void> {
    cursors.value = [];
    await load(null);
  }

  /** A record appended live: shown at once on the newest page when it matches the filter. */
  function append(r: AuditRecord): void {
    noteActors([r]);
    if (cursor.value !== null || !matchesFilter(r, filter.value)) return;
    const before = page.value;
    const next = prependLive(before, r, AUDIT_PAGE);
    if (next === before) return;
    if (before.length === AUDIT_PAGE) hasOlder.value = true;
    page.value = markRaw(next);
    fresh.value = new Set([...fresh.value, r.seq]);
    setTimeout(() => {
      const s = new Set(fresh.value);
      s.delete(r.seq);
      fresh.value = s;
    }, 4_000);
  }

  async function runVerify(): Promise<void> {
    verifying.value = true;
    const r = await attempt('audit:verify', {});
    verifying.value = false;
    verify.value = r.ok ? r.value : { ok: false, records: 0, brokenAtSeq: null, message: `could not verify: ${r.error}` };
  }

  /** Every record under the filter (up to the contract's 5000 per request, paged), oldest first, for export. */
  async function fetchAll(max = 100_000): Promise<{ ok: true; records: AuditRecord[]; truncated: boolean } | { ok: false; error: string }> {
    const out: AuditRecord[] = [];
    let before: number | null = null;
    for (;;) {
      const r = await attempt('audit:list', auditQuery(filter.value, before, 5000));
      if (!r.ok) return r;
      out.push(...r.value);
      if (r.value.length < 5000) break;
      if (out.length >= max) return { ok: true, records: out.reverse(), truncated: true };
      before = olderCursor(r.value);
    }
    return { ok: true, records: out.reverse(), truncated: false };
  }

  return {
    filter,
    page,
    cursor,
    cursors,
    hasOlder,
    loading,
    error,
    verify,
    verifying,
    fresh,
    actors,
    load,
    applyFilter,
    resetFilter,
    older,
    newer,
    newest,
    append,
    runVerify,
    fetchAll,
  };
});
