/**
 * Internal invariants: conditions the simulator's own code guarantees, checked where they hold.
 * A failure is a bug in the simulator, never a user's mistake, so it throws an Error naming the
 * invariant (the run fails with exit 3 and the message, as any internal error does).
 *
 * The message is built only when the check fails. On hot paths (per event, per copy) write
 * `if (!cond) throw new InvariantError(...)` instead of `invariant`: one comparison, and no
 * closure made per call.
 */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant: ${message}`);
    this.name = 'InvariantError';
  }
}

/** Throws InvariantError(`what()`) unless `cond` holds. */
export function invariant(cond: boolean, what: () => string): asserts cond {
  if (!cond) throw new InvariantError(what());
}
