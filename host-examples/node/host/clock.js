// The `wasi:clocks/wall-clock@0.2.6` the component reads: the system's, or one pinned
// at an instant that a test moves between calls (conformance runs never depend on
// the real time). Millisecond precision, as the Rust host's pinned clock.

/** Milliseconds since the epoch of an RFC 3339 instant (any offset). */
export function parseInstant(rfc3339) {
  if (typeof rfc3339 !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(rfc3339)) {
    throw new RangeError(`not an RFC 3339 instant: ${rfc3339}`);
  }
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 instant: ${rfc3339}`);
  return ms;
}

/** A wall clock: `system` (the default) or pinned at `at` (RFC 3339, Date or epoch ms). */
export class Clock {
  /** @type {number | undefined} */
  #pinned;

  /** @param {string | Date | number} [at] */
  constructor(at) {
    if (at !== undefined) this.set(at);
  }

  /** A clock pinned at `at`. */
  static pinned(at) {
    return new Clock(at);
  }

  /** The system clock. */
  static system() {
    return new Clock();
  }

  /** Pin (or move) the clock. */
  set(at) {
    const ms = typeof at === 'string' ? parseInstant(at) : at instanceof Date ? at.getTime() : at;
    if (!Number.isSafeInteger(ms)) throw new RangeError(`not an instant: ${at}`);
    this.#pinned = ms;
  }

  /** Milliseconds since the epoch. */
  nowMillis() {
    return this.#pinned ?? Date.now();
  }

  /** The `wasi:clocks/wall-clock` interface reading this clock. */
  wallClock() {
    return {
      now: () => {
        const ms = this.nowMillis();
        const seconds = Math.floor(ms / 1000);
        return { seconds: BigInt(seconds), nanoseconds: (ms - seconds * 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    };
  }
}
