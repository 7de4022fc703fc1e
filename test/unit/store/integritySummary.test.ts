import { describe, expect, it } from 'vitest';
import { integritySummary } from '../../../main/store/db.js';

describe('integritySummary: a quick_check report as one line', () => {
  it('keeps the first two problems, drops the banner, counts the rest', () => {
    const report = ['*** in database main ***', 'Tree 5 page 7 cell 2: invalid page number 9999', 'Page 12: btreeInitPage() returns error code 11', 'Page 13 is never used', 'Page 14 is never used'].join('\n');
    expect(integritySummary(report)).toBe('Tree 5 page 7 cell 2: invalid page number 9999; Page 12: btreeInitPage() returns error code 11 (and 2 more)');
    expect(integritySummary(report)).not.toMatch(/\n/);
  });
  it('says when the report was cut at quick_check’s limit of 20', () => {
    const report = Array.from({ length: 20 }, (_, i) => `Page ${i + 2} is never used`).join('\n');
    expect(integritySummary(report)).toBe('Page 2 is never used; Page 3 is never used (and 18+ more)');
  });
  it('one problem stays as it is', () => {
    expect(integritySummary('*** in database main ***\nPage 3: free space corruption')).toBe('Page 3: free space corruption');
  });
});
