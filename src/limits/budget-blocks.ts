import { perScopeKind, type LimitScope } from './limit-scope.js';
import type { Counting } from './limit-types.js';
import type { ScopeRequest, ScopeVerdict } from './redis-limits.js';

/** A block is open for calls at most this long: a worker's view of a budget (spent elsewhere, reset, changed) is never older. */
const BLOCK_OPEN_MS = 1_000;
/**
 * A block holds at most this many calls' maximum cost ... (calls that arrive while the next block
 * is asked for wait one round trip: at 5,000 calls/s and 256, that was 20 waits a second)
 */
const BLOCK_CALLS = 1_024;
/** ... and at most this share of the scope's budget (so the blocks of many workers leave room for one another). */
const BLOCK_SHARE = 64;
/** After a block was refused (the budget is nearly held or spent), calls are counted one by one this long. */
const BLOCK_BACKOFF_MS = 1_000;

/** One scope's answer to a call's admission: where it was counted, and what it reserved. */
export interface ScopeAnswer {
  readonly scope: LimitScope;
  readonly counting: Counting;
  readonly verdict: ScopeVerdict;
  readonly windowEnd: number | undefined;
  readonly reservedNano: number;
}

/** A block closed with its calls over: what the counter that reserved it must settle. */
export interface ClosedBlock {
  readonly scope: LimitScope;
  readonly lease: string;
  readonly counting: Counting;
  readonly minute: number;
  readonly windowEnd: number | undefined;
  readonly sizeNano: number;
  /** The real cost of the calls it admitted. */
  readonly usedNano: number;
}

interface Block {
  readonly lease: string;
  readonly scope: LimitScope;
  readonly counting: Counting;
  readonly windowEnd: number | undefined;
  readonly minute: number;
  readonly size: number;
  used: number;
  held: number;
  inFlight: number;
  open: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A scope whose only limit is a budget is counted in blocks: the worker asks its counter (Redis,
 * or the host's primary) to reserve a block of the budget, up to BLOCK_CALLS calls' maximum cost
 * and at most 1/BLOCK_SHARE of the budget, then admits calls inside that block on its own and
 * settles the block with the real cost of its calls once it has closed (after BLOCK_OPEN_MS, or
 * when a call does not fit) and its last call is over. The counter sees a block as one
 * reservation that must fit whole in what is left (`whole`), so the budget's bound is unchanged
 * (docs/limits.md): near the end of a budget, blocks are refused and calls are counted one by one.
 * The round trip to Redis or to the primary is paid once per block instead of once per call.
 */
export class BudgetBlocks {
  /** Per scope kind, scope id → its open block (the id is the record's own string: no key is built per call). */
  private readonly open: Record<LimitScope['kind'], Map<string, Block>> = perScopeKind(() => new Map());
  private readonly asking: Record<LimitScope['kind'], Map<string, Promise<ScopeAnswer>>> = perScopeKind(() => new Map());
  /** Per scope kind (a call has one scope of each), call lease → its block and what it holds there. */
  private readonly calls: Record<LimitScope['kind'], Map<string, { block: Block; held: number }>> = perScopeKind(() => new Map());
  private readonly backoff: Record<LimitScope['kind'], Map<string, number>> = perScopeKind(() => new Map());

  constructor(
    private readonly settleBlock: (block: ClosedBlock) => void,
    private readonly nextLease: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a scope is counted in blocks: a budget and no rate or parallel limit (those are counted call by call). */
  static applies(scope: LimitScope): boolean {
    return scope.maxBudget !== null && scope.rpm === null && scope.tpm === null && scope.maxParallel === null;
  }

  /**
   * The call's answer from a block (at once when one is open and it fits; after asking `count` for
   * a new one otherwise), or undefined when blocks cannot help (a budget too small for them, or
   * one refused a moment ago): then the caller counts the call alone.
   */
  admit(request: ScopeRequest, count: (request: ScopeRequest) => ScopeAnswer | Promise<ScopeAnswer>): ScopeAnswer | Promise<ScopeAnswer> | undefined {
    const { kind, id } = request.scope;
    const block = this.open[kind].get(id);
    if (block !== undefined) {
      if (fits(block, request)) return this.admitIn(block, request);
      this.close(block);
    }
    const size = blockSize(request);
    if (size === undefined || (this.backoff[kind].get(id) ?? 0) > this.now()) return undefined;
    let asking = this.asking[kind].get(id);
    if (asking === undefined) {
      asking = this.ask(request, size, count);
      this.asking[kind].set(id, asking);
    }
    return asking.then((answer) => {
      const opened = this.open[kind].get(id);
      if (opened !== undefined && fits(opened, request)) return this.admitIn(opened, request);
      // Spent: refused as the block was. Held by others, or full already: counted alone.
      return !answer.verdict.ok && answer.verdict.reason === 'budget' ? { ...answer, reservedNano: 0 } : count(request);
    });
  }

  /** True when the call was admitted in a block: its cost goes to the block, settled with it. */
  settle(scope: LimitScope, lease: string, costNano: number): boolean {
    const calls = this.calls[scope.kind];
    const call = calls.get(lease);
    if (call === undefined) return false;
    calls.delete(lease);
    const { block } = call;
    block.held -= call.held;
    block.used += costNano;
    block.inFlight--;
    if (!block.open && block.inFlight === 0) this.closed(block);
    return true;
  }

  /** Whether this call was admitted in a block (and is not yet settled). */
  holds(scope: LimitScope, lease: string): boolean {
    return this.calls[scope.kind].has(lease);
  }

  /** Blocks whose lease is still held: open, or closed with calls in flight. */
  busy(): Array<{ scope: LimitScope; counting: Counting; lease: string }> {
    const out: Array<{ scope: LimitScope; counting: Counting; lease: string }> = [];
    const seen = new Set<Block>();
    for (const open of Object.values(this.open)) for (const block of open.values()) seen.add(block);
    for (const calls of Object.values(this.calls)) for (const { block } of calls.values()) seen.add(block);
    for (const block of seen) out.push({ scope: block.scope, counting: block.counting, lease: block.lease });
    return out;
  }

  /** Closes every open block (a worker about to exit); those with calls in flight settle when the last ends. */
  closeAll(): void {
    for (const open of Object.values(this.open)) for (const block of [...open.values()]) this.close(block);
  }

  private async ask(request: ScopeRequest, size: number, count: (request: ScopeRequest) => ScopeAnswer | Promise<ScopeAnswer>): Promise<ScopeAnswer> {
    const { kind, id } = request.scope;
    const lease = this.nextLease();
    let answer: ScopeAnswer;
    try {
      answer = await count({ ...request, lease, costNano: size, tokens: 0, whole: true });
    } finally {
      this.asking[kind].delete(id);
    }
    if (!answer.verdict.ok) {
      const backoff = this.backoff[kind];
      if (backoff.size >= 10_000) backoff.clear();
      backoff.set(id, this.now() + BLOCK_BACKOFF_MS);
      return answer;
    }
    const block: Block = {
      lease, scope: request.scope, counting: answer.counting, windowEnd: request.windowEnd, minute: answer.verdict.minute, size,
      used: 0, held: 0, inFlight: 0, open: true, timer: undefined,
    };
    block.timer = setTimeout(() => this.close(block), BLOCK_OPEN_MS);
    block.timer.unref();
    this.open[kind].set(id, block);
    return answer;
  }

  private admitIn(block: Block, request: ScopeRequest): ScopeAnswer {
    block.held += request.costNano;
    block.inFlight++;
    this.calls[request.scope.kind].set(request.lease, { block, held: request.costNano });
    return { scope: request.scope, counting: block.counting, verdict: { ok: true, minute: block.minute }, windowEnd: block.windowEnd, reservedNano: request.costNano };
  }

  private close(block: Block): void {
    if (!block.open) return;
    block.open = false;
    clearTimeout(block.timer);
    const open = this.open[block.scope.kind];
    if (open.get(block.scope.id) === block) open.delete(block.scope.id);
    if (block.inFlight === 0) this.closed(block);
  }

  private closed(block: Block): void {
    this.settleBlock({
      scope: block.scope, lease: block.lease, counting: block.counting, minute: block.minute, windowEnd: block.windowEnd, sizeNano: block.size, usedNano: block.used,
    });
  }
}

/** The block to ask for this call's scope, or undefined when the budget is too small for blocks to help. */
function blockSize(request: ScopeRequest): number | undefined {
  const share = Math.floor(Math.round(request.scope.maxBudget! * 1e9) / BLOCK_SHARE);
  const size = Math.min(BLOCK_CALLS * Math.max(1, request.costNano), share);
  return size >= request.costNano && size > 0 ? size : undefined;
}

function fits(block: Block, request: ScopeRequest): boolean {
  return block.open && block.windowEnd === request.windowEnd && block.used + block.held + request.costNano <= block.size
    && block.scope.maxBudget === request.scope.maxBudget;
}
