/**
 * The bytes of request bodies a worker holds: received and not yet answered. A body is parsed,
 * validated and sent upstream as one piece, so it stays in memory until its response ends; this
 * caps the sum (`--max_body_mb_in_flight`) so that many large bodies at once are told to come back
 * later (503 with retry-after) instead of taking the worker out of memory. Bytes are taken as they
 * arrive, not as declared: a client that declares 30 MB and trickles holds what it sent, not the
 * budget of thirty.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now (for logs and tests). */
  get inFlight(): number {
    return this.held;
  }

  /**
   * Would `bytes` more fit, for a request already holding `own`? A worker holding no other body
   * takes any body the size limit lets through, so a budget set below `max_request_size_mb`
   * cannot make a large body impossible.
   */
  fits(bytes: number, own = 0): boolean {
    return this.held === own || this.held + bytes <= this.limit;
  }

  /** Takes `bytes` for a request holding `own` already, if they fit; false (nothing taken) otherwise. */
  take(bytes: number, own = 0): boolean {
    if (!this.fits(bytes, own)) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}
