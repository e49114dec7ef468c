import net from 'node:net';

/**
 * A TCP forwarder in front of a server, for tests: counts the connections a client keeps
 * open (so a test can see that a cancelled operation closed them), and in `hold` mode
 * accepts connections but never answers (a server that hangs).
 */
export interface Tap {
  port: number;
  hold: boolean;
  /** Connections currently open from the client side. */
  live(): number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

export async function startTap(targetPort: number, targetHost = '127.0.0.1'): Promise<Tap> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const tap: Tap = {
    port: 0,
    hold: false,
    live: () => sockets.size,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (tap.hold) {
      client.resume(); // read and drop: the client waits for an answer that never comes, and its close is seen
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tap.port = (server.address() as net.AddressInfo).port;
  return tap;
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
