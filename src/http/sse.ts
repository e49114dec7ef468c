import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Aborted when the client goes away before the stream ends. */
  signal: AbortSignal;
  end(): void;
}

/**
 * Takes over the response for Server-Sent Events: each event is written (and so flushed)
 * the moment it is sent, comment lines keep idle proxies from closing a quiet stream, and a
 * client that disconnects aborts `signal` so the work behind the stream stops.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, heartbeatMs: number): EventStream {
  reply.hijack();
  const res = reply.raw;
  const controller = new AbortController();
  request.raw.socket.setNoDelay(true);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let ended = false;
  const heartbeat = setInterval(() => {
    if (!ended) res.write(': heartbeat\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    if (!ended) {
      ended = true;
      controller.abort();
      request.log.info({ path: request.url }, 'event stream closed by the client');
    }
  });
  return {
    signal: controller.signal,
    send(event, data) {
      if (ended) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      res.end();
      request.log.info({ method: request.method, path: request.url.split('?')[0], status: 200, ms: Math.round(reply.elapsedTime) }, 'request');
    },
  };
}
