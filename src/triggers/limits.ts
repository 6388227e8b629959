/** The bounds of event triggers (README, "Event triggers"): each keeps one event's work within one request's time. */
export const TRIGGER_LIMITS = {
  /** Triggers one tenant may register for one event name: the runs one event starts. */
  perEvent: 20,
  /** A payload is copied into every run it starts and every run it resumes: small, like a reference. */
  payloadBytes: 64 * 1024,
  /** Waiting runs one event resumes (deliverToWaiting); the rest are left waiting, and the answer says so. */
  deliveries: 100,
  /** Triggers GET /triggers lists. */
  listed: 1000,
} as const;

/** Trigger ids: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit (they appear in run ids). */
export const TRIGGER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
