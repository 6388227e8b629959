/**
 * The server side of GET /workflows/:id/events. Every open stream of one run is fed by the
 * same poll (a feed keyed by workflow id that reads the run while it has subscribers and stops
 * when the last one leaves), so a hundred watchers of a run cost Temporal what one does. Open
 * streams are capped per caller and in total, and idle streams carry keep-alive comments so
 * proxies and load balancers do not close them. A client that stops reading is dropped once
 * the bytes written to it and not yet taken pass `maxBufferedBytes`, instead of being
 * buffered without limit.
 */
import { EVERY_TENANT, type TenantReach } from '../workflows/tenants';
import { DEFAULT_SSE_MAX_BUFFERED_BYTES, type Config } from '../config';
import { CallerSlots } from '../http/caller-slots';
import type { ApiMetrics } from '../http/metrics';
import { HttpProblem, tooManyRequests } from '../http/problem';
import type { RunView } from './runs';

/** Where a stream's frames go: the response body. */
export interface EventSink {
  write(frame: string): void;
  end(): void;
  /** Bytes written and not yet taken by the client (in the process; the kernel's buffers aside). */
  buffered(): number;
  /** Closes the stream at once, dropping what the client has not read. */
  abort(): void;
}

type EventOptions = Config['api']['events'];

/** What the hub needs from the runs reader (the API's Runs; a counting one in tests). */
export interface RunReader {
  view(workflowId: string, reach: TenantReach): Promise<RunView>;
}

/** How long a refused client is asked to wait: streams free up as runs end or watchers leave. */
const RETRY_AFTER_SECONDS = 10;

const KEEP_ALIVE_FRAME = ': keep-alive\n\n';
const stateFrame = (data: string) => `event: state\ndata: ${data}\n\n`;
const endFrame = (view: RunView) => `event: end\ndata: ${JSON.stringify({ status: view.status })}\n\n`;

type EventMetrics = Pick<ApiMetrics, 'eventStreams' | 'eventPolls' | 'eventRefusals' | 'eventDrops'>;

export class RunEvents {
  private readonly feeds = new Map<string, RunFeed>();
  private readonly perCaller: CallerSlots;
  private open = 0;

  constructor(
    private readonly runs: RunReader,
    private readonly options: EventOptions,
    private readonly metrics: EventMetrics,
  ) {
    this.perCaller = new CallerSlots(options.maxStreamsPerCaller);
  }

  /**
   * Opens one stream of a run for `caller` (a key id, or a client address): refuses over a cap
   * (429 for the caller's own, 503 for the server's), and answers 404 for an unknown run before
   * any byte is sent. Answers the function that closes the stream (call it when the client goes).
   */
  async subscribe(workflowId: string, caller: string, sink: EventSink): Promise<() => void> {
    const release = this.admit(caller);
    let feed = this.feeds.get(workflowId);
    if (!feed) {
      feed = new RunFeed(workflowId, this.runs, this.options, this.metrics, (idle) => {
        if (this.feeds.get(workflowId) === idle) this.feeds.delete(workflowId);
      });
      this.feeds.set(workflowId, feed);
    }
    try {
      await feed.join(sink);
    } catch (error) {
      release();
      throw error;
    }
    const joined = feed;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      joined.leave(sink);
      release();
    };
  }

  /** Runs with a poll going, and streams open: what the tests and an operator look at. */
  get stats(): { feeds: number; streams: number } {
    return { feeds: this.feeds.size, streams: this.open };
  }

  private admit(caller: string): () => void {
    if (this.open >= this.options.maxStreams) {
      this.metrics.eventRefusals.inc({ cap: 'total' });
      throw new HttpProblem(
        503,
        'Service Unavailable',
        'the server has as many event streams open as it serves (SSE_MAX_STREAMS); try again later or poll GET /workflows/:id',
        undefined,
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
    const releaseSlot = this.perCaller.take(caller);
    if (!releaseSlot) {
      this.metrics.eventRefusals.inc({ cap: 'caller' });
      throw tooManyRequests(
        `this key has ${this.perCaller.of(caller)} event streams open, the most one may (SSE_MAX_STREAMS_PER_KEY); close one or poll GET /workflows/:id`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.open++;
    this.metrics.eventStreams.inc();
    return () => {
      releaseSlot();
      this.open--;
      this.metrics.eventStreams.dec();
    };
  }
}

/** One run's poll and the streams it feeds. */
class RunFeed {
  private readonly sinks = new Set<EventSink>();
  /** The first read: it tells joiners whether the run exists before their stream opens. */
  private readonly first: Promise<void>;
  /** Joiners still waiting for the first read; the feed must not stop under them. */
  private waiting = 0;
  private lastData = '';
  private ended: RunView | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly workflowId: string,
    private readonly runs: RunReader,
    private readonly options: EventOptions,
    private readonly metrics: EventMetrics,
    private readonly onStop: (feed: RunFeed) => void,
  ) {
    this.first = this.read().then(
      (view) => {
        this.publish(view);
        this.schedule();
      },
      (error: unknown) => {
        this.stop();
        throw error;
      },
    );
  }

  /** Sends the latest state at once, then every change; a closed run's stream ends after it. */
  async join(sink: EventSink): Promise<void> {
    this.waiting++;
    try {
      await this.first;
    } finally {
      this.waiting--;
    }
    if (this.lastData) sink.write(stateFrame(this.lastData));
    if (this.ended) {
      sink.write(endFrame(this.ended));
      sink.end();
      return;
    }
    this.sinks.add(sink);
    if (!this.keepAliveTimer) {
      this.keepAliveTimer = setInterval(() => this.sinks.forEach((s) => this.send(s, KEEP_ALIVE_FRAME)), this.options.keepAliveMs);
      this.keepAliveTimer.unref();
    }
  }

  /** Writes a frame, or drops a client that has left more than maxBufferedBytes unread. */
  private send(sink: EventSink, frame: string): void {
    if (sink.buffered() + Buffer.byteLength(frame) <= (this.options.maxBufferedBytes ?? DEFAULT_SSE_MAX_BUFFERED_BYTES)) return sink.write(frame);
    this.metrics.eventDrops.inc();
    this.sinks.delete(sink);
    sink.abort();
    if (this.sinks.size === 0 && this.waiting === 0) this.stop();
  }

  leave(sink: EventSink): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0 && this.waiting === 0) this.stop();
  }

  private read(): Promise<RunView> {
    this.metrics.eventPolls.inc();
    return this.runs.view(this.workflowId, EVERY_TENANT);
  }

  private schedule(): void {
    if (this.stopped || this.ended) return;
    this.pollTimer = setTimeout(() => {
      if (this.sinks.size === 0 && this.waiting === 0) return this.stop();
      // A failed read (Temporal restarting) keeps the streams open and tries again next poll.
      this.read().then(
        (view) => {
          if (!this.stopped) this.publish(view);
          this.schedule();
        },
        () => this.schedule(),
      );
    }, this.options.pollMs);
    this.pollTimer.unref();
  }

  private publish(view: RunView): void {
    const data = JSON.stringify(view);
    if (data !== this.lastData) this.sinks.forEach((sink) => this.send(sink, stateFrame(data)));
    this.lastData = data;
    if (view.status === 'RUNNING') return;
    this.ended = view;
    for (const sink of this.sinks) {
      sink.write(endFrame(view));
      sink.end();
    }
    this.sinks.clear();
    // Joiners still waiting get the last state and the end from `ended`.
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.keepAliveTimer);
    this.onStop(this);
  }
}
