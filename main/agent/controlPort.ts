import { X509Certificate, type KeyObject } from 'node:crypto';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Scope } from '../../shared/agentProtocol.js';
import { scopesOf, type TlsIdentity } from '../pki/certs.js';
import { RevocationList } from '../pki/revocation.js';
import { Admission, type AdmissionLimits, type AdmissionStats } from './admission.js';
import { closeServer, listenOn, type Listen } from './listen.js';

/** An authenticated console on the control port. */
export interface ConsolePeer {
  socket: TLSSocket;
  scopes: Scope[];
  /** Of the presented client certificate: commands must be signed with its key. */
  publicKey: KeyObject;
  /** The certificate's serial (upper-case hex), re-checked when the deny list changes. */
  serial: string;
}

export interface ControlPortOptions {
  identity: TlsIdentity;
  listen: Listen;
  limits?: Partial<AdmissionLimits>;
  log: (line: string) => void;
  /** A console passed every check and holds a slot until its socket closes. */
  onConsole: (peer: ConsolePeer) => void;
}

/** Connection drops are logged as one summary line at most this often (a flood must not flood the log). */
const DROP_LOG_MS = 10_000;

/**
 * The agent's control port: a TCP listener that admits every socket through `Admission` (deadline, per-source and
 * global caps, console slots) before handing it to TLS, then checks the authenticated peer — a Headroom scope in its
 * certificate, and its serial against the site's deny list (`revoked.json`, re-read on change) — before the agent
 * sees it. Live consoles are re-checked whenever the deny list changes (`recheck`).
 */
export class ControlPort {
  /** TLS handshakes refused (no certificate, wrong CA, expired…) and authenticated peers refused (scope, revoked). */
  tlsRejected = 0;
  readonly dropped: Record<string, number> = {};
  private readonly admission: Admission;
  private readonly revocation: RevocationList | null;
  private revocationChecked = -1;
  private readonly rawByPeer = new Map<string, Socket>();
  private dropsSince: Record<string, number> = {};
  private dropsLoggedMs = 0;
  private tls: TlsServer | null = null;
  private tcp: NetServer | null = null;
  private closing = false;

  constructor(private readonly o: ControlPortOptions) {
    this.admission = new Admission(o.limits, (reason) => this.noteDrop(reason));
    this.revocation = o.identity.revokedPath ? new RevocationList(o.identity.revokedPath, (l) => o.log(`agent: ${l}`)) : null;
  }

  get port(): number {
    return (this.tcp?.address() as AddressInfo | null)?.port ?? 0;
  }

  get limits(): AdmissionLimits {
    return this.admission.limits;
  }

  stats(): AdmissionStats {
    return this.admission.stats();
  }

  async start(): Promise<void> {
    const id = this.o.identity;
    // The TLS server never listens itself: the TCP server admits each socket first, then hands it over, so a socket
    // is counted and on its deadline before any TLS work is done for it. Node's handshakeTimeout (an idle timer) stays
    // as a second line.
    this.tls = createTlsServer(
      { cert: id.cert, key: id.key, ca: id.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: this.admission.limits.handshakeTimeoutMs },
      (socket) => this.onSecure(socket),
    );
    this.tls.on('tlsClientError', () => {
      this.tlsRejected++;
      this.noteDrop('tls');
    });
    this.revocation?.refresh();
    this.revocationChecked = this.revocation?.version ?? -1;
    this.tcp = createNetServer({ noDelay: true }, (raw) => this.accept(raw));
    this.tcp.on('error', (e) => this.o.log(`agent: control listener error: ${e.message}`));
    await listenOn(this.tcp, this.o.listen);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.admission.clear();
    await closeServer(this.tcp);
  }

  /** Re-check live consoles when the deny list changed; destroys those now revoked. */
  recheck(live: Iterable<ConsolePeer>): void {
    if (!this.revocation) return;
    this.revocation.refresh();
    if (this.revocation.version === this.revocationChecked) return;
    this.revocationChecked = this.revocation.version;
    for (const c of live) {
      const r = this.revocation.check(c.serial);
      if (r.ok) continue;
      this.noteDrop('revoked');
      this.o.log(`agent: disconnected a console: ${r.error}`);
      c.socket.destroy();
    }
  }

  /** A TCP connection: admitted (counted, on its deadline; perhaps another dropped), then handed to TLS. */
  private accept(raw: Socket): void {
    raw.on('error', () => {});
    if (this.closing) {
      raw.destroy();
      return;
    }
    if (!this.admission.admit(raw)) return; // refused: a source noisier than any it would displace
    const key = `${raw.remoteAddress}|${raw.remotePort}`;
    this.rawByPeer.set(key, raw);
    raw.once('close', () => {
      this.admission.closed(raw, false);
      if (this.rawByPeer.get(key) === raw) this.rawByPeer.delete(key);
    });
    this.tls!.emit('connection', raw);
  }

  /** A finished handshake with a certificate of the site CA: refuse it (no scope, revoked, no slot) or pass it on. */
  private onSecure(socket: TLSSocket): void {
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    const raw = this.rawByPeer.get(key);
    this.rawByPeer.delete(key);
    if (!raw || !this.admission.isPending(raw)) {
      socket.destroy(); // its deadline passed, or it was dropped, while the handshake finished
      return;
    }
    const peer = socket.getPeerCertificate(true);
    const who = `console ${peer?.subject?.CN ?? '?'} from ${socket.remoteAddress}`;
    const refuse = (why: string, reason: string) => {
      this.admission.closed(raw, false);
      this.tlsRejected++;
      this.noteDrop(reason);
      this.o.log(`agent: refused ${who}: ${why}`);
      socket.destroy();
    };
    const scopes = scopesOf(peer);
    if (!peer?.raw || scopes.length === 0) return refuse('its certificate carries no Headroom scope', 'no-scope');
    const rev = this.revocation?.check(peer.serialNumber);
    if (rev && !rev.ok) return refuse(rev.error, 'revoked');
    if (!this.admission.promote(raw)) {
      this.o.log(`agent: refused ${who}: all ${this.admission.limits.maxConsoles} console slots are taken`);
      return;
    }
    socket.once('close', () => this.admission.closed(raw, true));
    this.o.onConsole({ socket, scopes, publicKey: new X509Certificate(peer.raw).publicKey, serial: peer.serialNumber });
  }

  /** Count a dropped connection; log a summary at most every DROP_LOG_MS. */
  private noteDrop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.dropsSince[reason] = (this.dropsSince[reason] ?? 0) + 1;
    const now = Date.now();
    if (now - this.dropsLoggedMs < DROP_LOG_MS) return;
    this.dropsLoggedMs = now;
    const parts = Object.entries(this.dropsSince).map(([r, n]) => `${n} ${r}`);
    this.dropsSince = {};
    this.o.log(`agent: dropped control connections: ${parts.join(', ')} (summaries at most every ${DROP_LOG_MS / 1000} s)`);
  }
}
