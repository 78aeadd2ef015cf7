/** `wasi:clocks/wall-clock` datetime. */
export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

/** Milliseconds since the epoch of an RFC 3339 instant. */
export declare function parseInstant(rfc3339: string): number;

/** The system clock, or one pinned at an instant and moved by `set`. */
export declare class Clock {
  constructor(at?: string | Date | number);
  static pinned(at: string | Date | number): Clock;
  static system(): Clock;
  set(at: string | Date | number): void;
  nowMillis(): number;
  wallClock(): { now(): Datetime; resolution(): Datetime };
}
