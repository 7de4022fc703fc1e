import { sign, verify, type KeyLike } from 'node:crypto';

/**
 * The command signature, the one scheme console and agent share: SHA-256 signature (ECDSA P-256 keys from
 * `headroom certs`) over the exact UTF-8 bytes of the command body text, base64. The agent verifies with the
 * public key of the certificate presented on that TLS connection, so a body is bound to the peer that sent it.
 */
export function signBody(bodyText: string, key: KeyLike): string {
  return sign('sha256', Buffer.from(bodyText, 'utf8'), key).toString('base64');
}

/** True when `sigBase64` is a signature of `bodyText` by the holder of `publicKey`. Never throws for bad input. */
export function verifyBody(bodyText: string, publicKey: KeyLike, sigBase64: string): boolean {
  try {
    return verify('sha256', Buffer.from(bodyText, 'utf8'), publicKey, Buffer.from(sigBase64, 'base64'));
  } catch {
    return false;
  }
}
