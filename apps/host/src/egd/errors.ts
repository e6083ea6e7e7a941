export type EgdErrorCode =
  /** The first byte of a request is not 0x00 to 0x04. */
  | "E_EGD_UNKNOWN_COMMAND"
  /** A request started and its remaining bytes never came. */
  | "E_EGD_TRUNCATED"
  /** The client stopped reading its replies. */
  | "E_EGD_STALLED"
  /** More clients than host.egd.maxClients. */
  | "E_EGD_TOO_MANY_CLIENTS"
  /** The server cannot start with this configuration (socket path, port in use, …). */
  | "E_EGD_CONFIG";

/** Every failure of the EGD server: a connection closes with it, the host stays up. */
export class EgdError extends Error {
  override readonly name = "EgdError";
  constructor(
    readonly code: EgdErrorCode,
    message: string,
  ) {
    super(message);
  }
}
