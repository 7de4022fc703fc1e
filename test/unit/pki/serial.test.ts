import { describe, expect, it } from 'vitest';
import { normalizeSerial } from '../../../main/pki/revocation.js';

describe('normalizeSerial', () => {
  it('reads openssl, Node and typed forms of one serial as the same key', () => {
    // openssl prints whole bytes (leading zero kept when the hex is odd), Node upper case; an operator types either.
    for (const form of ['0f:17:9a', '0F179A', 'f179a', '  0f 17 9A ', '000F179A']) expect(normalizeSerial(form)).toBe('F179A');
    expect(normalizeSerial('00')).toBe('0');
  });
  it('refuses what is not a serial', () => {
    for (const bad of ['', 'xyz', '0x1F', '1'.repeat(41), 'ab-cd']) expect(normalizeSerial(bad)).toBeNull();
  });
});
