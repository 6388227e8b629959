// Talks to the API with the tab's key (sessionStorage) and reads its SSE streams.
// EventSource cannot send an Authorization header, so streams are read with fetch.

const KEY = 'orchestra.apiKey';

export const keyStore = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An answer other than 2xx: the status and the API's problem details. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

let unauthorized = () => undefined;
/** Called with the problem when a request answers 401: the page asks for a key. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

function headers(extra = {}) {
  const key = keyStore.get();
  return { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (response.status === 401) unauthorized(data);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Reads a text/event-stream until it ends or `signal` aborts, calling onEvent(name, data)
 * for each event. Resolves when the stream closes.
 */
export async function stream(path, onEvent, signal) {
  const response = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (response.status === 401) unauthorized(null);
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}
