import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Resolves with how a TCP connection attempt ended: `connected`, `timeout` or the error code. */
export const tryConnect = (host: string, port: number): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

/**
 * This machine's addresses other than loopback, to show an engine refuses them; link-local
 * IPv6 needs a zone, so it is left out. A machine without any has nothing to refuse.
 */
export const nonLoopbackAddresses = (): string[] =>
  Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter(({ internal, address }) => !internal && !address.toLowerCase().startsWith('fe80:'))
    .map(({ address }) => address);
