import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ReceivedEvent {
  event: string;
  data: any;
  /** ms since the request was sent */
  at: number;
}

export interface StreamResult {
  status: number;
  contentType: string | null;
  events: ReceivedEvent[];
  /** Comment lines (heartbeats) seen. */
  comments: number;
  body: string;
}

/**
 * POSTs and reads the Server-Sent Events answer as a browser's EventSource would, noting
 * when each event arrived. `onEvent` may return 'abort' to hang up mid-stream.
 */
export async function postStream(
  url: string,
  opts: { token: string; body?: unknown; onEvent?: (e: ReceivedEvent) => 'abort' | void },
): Promise<StreamResult> {
  const started = Date.now();
  const controller = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token}`, ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: controller.signal,
  });
  const result: StreamResult = { status: res.status, contentType: res.headers.get('content-type'), events: [], comments: 0, body: '' };
  if (!res.body) return result;
  let aborted = false;
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => {
      const e = { event: m.event ?? 'message', data: JSON.parse(m.data), at: Date.now() - started };
      result.events.push(e);
      if (opts.onEvent?.(e) === 'abort') {
        aborted = true;
        controller.abort();
      }
    },
    onComment: () => void result.comments++,
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      result.body += text;
      parser.feed(text);
      if (aborted) break;
    }
  } catch (err) {
    if (!aborted) throw err;
  }
  return result;
}
