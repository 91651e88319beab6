/**
 * The error a remote-write request fails with. `status` is the HTTP status the receiver should
 * answer with (400 for a bad payload, 413 for one over the size limit, 500 for a store failure);
 * `message` says what is wrong and where. When it is thrown, nothing of the request was applied.
 */
export class RemoteWriteError extends Error {
  override name = "RemoteWriteError";
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}
