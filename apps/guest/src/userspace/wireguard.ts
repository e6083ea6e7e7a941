import type { UserspaceProgram as ProgramConfig } from "@vmrng/wire";
import {
  errnoOf,
  isPanic,
  type UserspaceApi,
  UserspaceError,
  type UserspaceProgram,
} from "./api.js";
import { INITIAL_CHAINING_KEY, kdf2, keyFingerprint, NOISE_KEY_LEN } from "./noise-kdf.js";

type Config = Extract<ProgramConfig, { program: "wireguard" }>;

/** REKEY_AFTER_TIME = 120 s (drivers/net/wireguard/messages.h). */
export const REKEY_AFTER_TIME_MS = 120_000;
/** The interface name in every log line (net_dbg_ratelimited("%s: ...", dev->name)). */
const DEV = "wg0";
/** Every WireGuard line carries pr_fmt "wireguard: " (drivers/net/wireguard/Makefile). */
const PR = `wireguard: ${DEV}`;

/** struct noise_keypair, reduced to what the demo shows: the sending key and its use. */
interface Keypair {
  /** keypair->internal_id: the device-wide keypair_counter (noise.c keypair_create). */
  id: number;
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  /** derive_keys(): birthdate, virtual ms. */
  createdAtMs: number;
  /** sending.counter: the nonce of the next data packet. */
  sendCounter: bigint;
  /** Packets sent with it since this VM (incarnation) started or resumed. */
  sentSinceResume: number;
}

interface Peer {
  /** peer->internal_id, from 1. */
  id: number;
  /** current_keypair, null once expired (wg_noise_expire_current_peer_keypairs) or never made. */
  keypair: Keypair | null;
}

interface WireguardState {
  keypairCounter: number;
  peers: Peer[];
  nextPacketAtMs: number;
}

/**
 * A WireGuard-style interface wg0 with `sessions` peers. Each data packet to a peer needs a
 * valid current keypair: without one (start, or after a VM fork) or when it is older than
 * REKEY_AFTER_TIME, the peer does a handshake first (send.c wg_packet_send_staged_packets ->
 * wg_packet_send_queued_handshake_initiation; keep_key_fresh). What stands for Noise_IKpsk2
 * here: the ephemeral private key comes from getrandom(32) as curve25519_generate_secret()
 * draws it from get_random_bytes_wait() (noise.c wg_noise_handshake_create_initiation); the
 * DH results are replaced by that ephemeral (the remote peer is not emulated), mixed into the
 * initial chaining key with noise.c's HKDF-BLAKE2s kdf(), and derive_keys() splits the final
 * chaining key into sending and receiving keys. So two VMs that draw the same ephemeral
 * derive the same session keys, which is exactly what a fork without vmgenid leads to.
 *
 * On the vmfork notification (device.c wg_vm_notification, registered with
 * register_random_vmfork_notifier) every peer's current keypair stops being valid for sending
 * (wg_noise_expire_current_peer_keypairs), so the next packet starts a handshake with fresh
 * getrandom bytes. Upstream prints nothing there; this program logs a vmrng: line.
 */
export class Wireguard implements UserspaceProgram {
  readonly name = "wireguard";
  private state: WireguardState;
  private readonly resumed: boolean;
  private running = false;
  /** Bumped on every vmfork: a handshake that drew its bytes before it is thrown away. */
  private epoch = 0;
  private cancelTimer: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly api: UserspaceApi,
    private readonly config: Config,
    saved?: unknown,
  ) {
    this.resumed = saved !== undefined;
    this.state =
      saved === undefined
        ? {
            keypairCounter: 0,
            peers: Array.from({ length: config.sessions }, (_, i) => ({
              id: i + 1,
              keypair: null,
            })),
            nextPacketAtMs: 0,
          }
        : loadState(saved);
  }

  start(): void {
    this.running = true;
    this.unsubscribe = this.api.onVmfork(() => this.onVmfork());
    for (const p of this.state.peers) {
      if (!this.resumed) {
        // peer.c wg_peer_create: pr_debug("%s: Peer %llu created\n").
        this.api.printk("debug", `${PR}: Peer ${p.id} created`);
        continue;
      }
      if (!p.keypair) continue;
      p.keypair.sentSinceResume = 0;
      this.api.emit(
        "userspace.wireguard",
        `${DEV}: keypair ${p.keypair.id} of peer ${p.id} resumed from the snapshot`,
        {
          action: "keypair-restored",
          session: p.id,
          keypair: p.keypair.id,
          keyFingerprint: keyFingerprint(p.keypair.sendKey),
          sendCounter: p.keypair.sendCounter,
        },
      );
    }
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  save(): WireguardState {
    return structuredClone(this.state);
  }

  /** device.c wg_vm_notification: expire every peer's current keypair. */
  private onVmfork(): void {
    this.epoch++;
    for (const p of this.state.peers) {
      const kp = p.keypair;
      if (!kp) continue;
      p.keypair = null;
      this.api.printk(
        "info",
        `vmrng: ${PR}: keys of peer ${p.id} cleared after VM fork (keypair ${kp.id}, ${kp.sentSinceResume} packets sent with it since resume)`,
        false,
      );
      this.api.emit(
        "userspace.wireguard",
        `${DEV}: keypair ${kp.id} of peer ${p.id} cleared after VM fork`,
        {
          action: "keys-cleared",
          session: p.id,
          keypair: kp.id,
          keyFingerprint: keyFingerprint(kp.sendKey),
          sentSinceResume: kp.sentSinceResume,
        },
      );
    }
  }

  private schedule(): void {
    if (!this.running) return;
    const wait = Math.max(0, this.state.nextPacketAtMs - this.api.now());
    this.cancelTimer = this.api.after(wait, () => void this.tick());
  }

  /** One data packet to every peer, in turn. */
  private async tick(): Promise<void> {
    if (!this.running) return;
    this.state.nextPacketAtMs = Math.max(
      this.state.nextPacketAtMs + this.config.packetEveryMs,
      this.api.now(),
    );
    for (const p of this.state.peers) {
      if (!this.running) return;
      try {
        await this.sendPacket(p);
      } catch (e) {
        if (isPanic(e)) return this.stop();
        this.api.emit("userspace.error", `${DEV}: peer ${p.id}: ${errnoOf(e)}`, {
          program: this.name,
          session: p.id,
          errno: errnoOf(e),
        });
      }
    }
    this.schedule();
  }

  private async sendPacket(p: Peer): Promise<void> {
    // A VMClock consumer checks vm_generation_counter before it uses key material (counter
    // mode): a fork is then seen, and the keys dropped, before the first packet of a clone.
    await this.api.checkVmGeneration();
    const kp = p.keypair;
    if (!kp || this.api.now() - kp.createdAtMs >= REKEY_AFTER_TIME_MS) {
      await this.handshake(p);
      if (!p.keypair) return; // a fork came in between: the next packet tries again
    }
    const k = p.keypair!;
    k.sendCounter++;
    k.sentSinceResume++;
  }

  /** Initiation, response, wg_noise_handshake_begin_session(): a new current keypair. */
  private async handshake(p: Peer): Promise<void> {
    const epoch = this.epoch;
    // send.c wg_packet_send_handshake_initiation.
    this.api.printk(
      "debug",
      `${PR}: Sending handshake initiation to peer ${p.id} (${endpointOf(p.id)})`,
    );
    const ephemeral = await this.api.getrandom(NOISE_KEY_LEN, 0);
    if (!this.running || epoch !== this.epoch) return;
    this.api.emit("userspace.wireguard", `${DEV}: handshake initiation to peer ${p.id}`, {
      action: "handshake",
      session: p.id,
      keyFingerprint: keyFingerprint(ephemeral),
    });
    // receive.c wg_receive_handshake_packet, MESSAGE_HANDSHAKE_RESPONSE.
    this.api.printk(
      "debug",
      `${PR}: Receiving handshake response from peer ${p.id} (${endpointOf(p.id)})`,
    );
    const [chainingKey] = kdf2(INITIAL_CHAINING_KEY, ephemeral);
    const [sendKey, receiveKey] = kdf2(chainingKey, new Uint8Array(0));
    ephemeral.fill(0); // handshake_zero()
    const keypair: Keypair = {
      id: ++this.state.keypairCounter,
      sendKey,
      receiveKey,
      createdAtMs: this.api.now(),
      sendCounter: 0n,
      sentSinceResume: 0,
    };
    p.keypair = keypair;
    // noise.c wg_noise_handshake_begin_session.
    this.api.printk("debug", `${PR}: Keypair ${keypair.id} created for peer ${p.id}`);
    this.api.emit("userspace.wireguard", `${DEV}: Keypair ${keypair.id} created for peer ${p.id}`, {
      action: "keypair-created",
      session: p.id,
      keypair: keypair.id,
      keyFingerprint: keyFingerprint(sendKey),
    });
  }
}

/** A documentation address (RFC 5737 TEST-NET-1) per peer: %pISpfsc of peer->endpoint. */
function endpointOf(peer: number): string {
  return `192.0.2.${peer}:51820`;
}

function loadState(v: unknown): WireguardState {
  const bad = (what: string): never => {
    throw new UserspaceError("BAD_STATE", `wireguard: saved state: ${what}`);
  };
  const s = v as Partial<WireguardState> | null;
  if (!s || typeof s.keypairCounter !== "number" || !Array.isArray(s.peers)) bad("not a device");
  if (typeof s!.nextPacketAtMs !== "number") bad("nextPacketAtMs");
  const peers = s!.peers!.map((p, i): Peer => {
    if (typeof p?.id !== "number") bad(`peer ${i}`);
    const k = p.keypair;
    if (k === null) return { id: p.id, keypair: null };
    if (
      typeof k?.id !== "number" ||
      !(k.sendKey instanceof Uint8Array) ||
      !(k.receiveKey instanceof Uint8Array) ||
      typeof k.createdAtMs !== "number" ||
      typeof k.sendCounter !== "bigint"
    )
      bad(`peer ${p.id} keypair`);
    return { id: p.id, keypair: { ...k, sentSinceResume: 0 } };
  });
  return { keypairCounter: s!.keypairCounter!, peers, nextPacketAtMs: s!.nextPacketAtMs! };
}
