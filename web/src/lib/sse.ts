import { createParser } from 'eventsource-parser';
import { API_BASE, ApiError, authHeaders, readProblem, session } from './api';

/**
 * POSTs to an endpoint that answers with Server-Sent Events and hands each event over as it
 * arrives. EventSource cannot send a POST body or an Authorization header, so the response
 * body is read with fetch and parsed here. Invalid input is refused before the stream starts,
 * with a problem document: that is thrown as an ApiError.
 */
export async function postEventStream(path: string, body: unknown, onEvent: (event: string, data: unknown) => void, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, { method: 'POST', headers, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ title: 'Network error', status: 0, detail: 'the Quarry server could not be reached; check that it is running' });
  }
  if (!res.ok) {
    if (res.status === 401) session.signOut('The API no longer accepts your token (revoked, or its account removed): sign in again.');
    throw new ApiError(await readProblem(res));
  }
  if (!res.body) throw new ApiError({ title: 'Empty answer', status: res.status, detail: 'the server sent no event stream' });
  const parser = createParser({
    onEvent(message) {
      let data: unknown = message.data;
      try {
        data = JSON.parse(message.data);
      } catch {
        // not JSON: handed over as text
      }
      onEvent(message.event ?? 'message', data);
    },
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(value);
  }
}
