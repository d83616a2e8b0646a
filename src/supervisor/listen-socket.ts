import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import * as net from 'node:net';

/**
 * The listening socket, held by the primary for the life of the host. The primary binds it and
 * hands a copy to every worker, which listens and accepts on it; the primary itself never
 * accepts. Because the primary keeps its copy, the socket outlives any worker: when every worker
 * is gone at once (crashes, a kill storm) clients are not refused, their connections wait in the
 * kernel's accept queue until a replacement listens (it was 3.8 s of refused connections when
 * node:cluster closed its shared socket with the last worker; figures in docs/benchmarks.md).
 *
 * Binding without listening is what node:cluster's own shared handle does
 * (`net._createServerHandle`); if a later node drops that function, workers listen through
 * node:cluster as before and this returns undefined; likewise when the bind fails (a port in
 * use), so that the workers report the error exactly as before.
 */
export interface ListenSocket {
  /** The bound handle, sent to workers along with the `listen` message. */
  readonly handle: object;
  /** Closes the primary's copy (shutdown): once the workers close theirs, connections are refused. */
  close(): void;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd?: number, flags?: number) => object | number;

export async function openListenSocket(host: string, port: number): Promise<ListenSocket | undefined> {
  const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== 'function') return undefined;
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await lookup(host)).address;
    } catch {
      return undefined; // the workers' listen reports the bad host, as before
    }
  }
  const handle = create(address, port, isIP(address));
  if (typeof handle === 'number') return undefined; // an error code: let the workers listen and report it
  // libuv keeps a failed bind's error (EADDRINUSE, EACCES, …) until listen, and getsockname
  // reports it. It must be caught here: the error stays with this process's handle, and a worker
  // given the unbound socket would listen on a random port. The workers then bind themselves and
  // report the error as before.
  const bound = handle as { getsockname(out: object): number; close(): void };
  if (bound.getsockname({}) !== 0) {
    bound.close();
    return undefined;
  }
  let open = true;
  return {
    handle,
    close() {
      if (!open) return;
      open = false;
      (handle as { close(): void }).close();
    },
  };
}
