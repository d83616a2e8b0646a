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
   * Would `bytes` more fit? A worker holding nothing takes any body the size limit lets through,
   * so a limit set below `max_request_size_mb` cannot make a large body impossible.
   */
  fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limit;
  }

  /** Takes `bytes` if they fit; false (and nothing taken) otherwise. */
  take(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}
