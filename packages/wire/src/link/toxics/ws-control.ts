import type { EventEmitter } from "node:events";
import type { WebSocket } from "ws";

/**
 * The two places where toxics reach under ws's public API, both for control frames, which ws
 * handles itself. ws 8 keeps them as fields of the WebSocket: `_autoPong` (set from the autoPong
 * option, read for every ping in lib/websocket.js receiverOnPing) and `_receiver` (whose
 * `conclude` event is the peer's close frame, lib/websocket.js receiverOnConclude). If a ws update
 * renames them these helpers report false and the blackhole / slow_close tests fail.
 */
interface WsInternals {
  _autoPong?: unknown;
  _receiver?: EventEmitter;
}

/**
 * Turns ws's automatic pong off while a direction is blackholed: a TCP blackhole swallows the
 * peer's ping (receive) or our pong (send), so the peer's heartbeat must see silence.
 */
export function setAutoPong(ws: WebSocket, on: boolean): boolean {
  const w = ws as unknown as WsInternals;
  if (typeof w._autoPong !== "boolean") return false;
  w._autoPong = on;
  return true;
}

/**
 * Delays ws's handling of the peer's close frame (its close reply and the `close` event) by
 * `delayMs()` ms: a receive slow_close holds the peer's "EOF" as toxics/slow_close.go does.
 */
export function holdPeerClose(ws: WebSocket, delayMs: () => number): boolean {
  const receiver = (ws as unknown as WsInternals)._receiver;
  if (receiver === undefined) return false;
  const original = receiver.listeners("conclude") as ((code: number, reason: Buffer) => void)[];
  receiver.removeAllListeners("conclude");
  receiver.on("conclude", (code: number, reason: Buffer) => {
    const ms = delayMs();
    if (ms <= 0) {
      for (const fn of original) fn.call(receiver, code, reason);
      return;
    }
    const copy = Buffer.from(reason); // a view into the socket's buffer: keep our own
    setTimeout(() => {
      for (const fn of original) fn.call(receiver, code, copy);
    }, ms).unref();
  });
  return true;
}
