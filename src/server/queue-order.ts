/** A server's queues, weighted: see `ServerOptions.queues`. */
export interface WeightedQueue {
  name: string;
  /** A whole number from 1 to 1,000: the queue's share of the fetches that look at it first. */
  weight: number;
}

/**
 * The order a server hands its queues to each claim. Strict (queue names given): always the
 * given order, so an earlier queue is always drained first. Weighted (`{ name, weight }` given):
 * smooth weighted round robin, as nginx balances upstreams: each claim puts one queue first, so
 * over any run of claims each queue comes first in proportion to its weight, spread evenly (for
 * weights 3 and 1: A A B A, A A B A, ...), and the other queues follow by weight, so a claim
 * whose first queue is empty still fills up from the rest. A busy heavy queue thus takes most of
 * the claims but never all of them: a light queue is served at least once in every
 * `total weight / its weight` claims.
 */
export class QueueOrder {
  private readonly current: number[];
  private readonly total: number;
  /** The queues by weight, heaviest first (stable): the order behind the one put first. */
  private readonly byWeight: string[];

  constructor(
    private readonly names: readonly string[],
    private readonly weights?: readonly number[],
  ) {
    this.current = names.map(() => 0);
    this.total = weights?.reduce((a, b) => a + b, 0) ?? 0;
    this.byWeight = weights
      ? names.map((name, i) => ({ name, w: weights[i]! })).sort((a, b) => b.w - a.w).map((q) => q.name)
      : [...names];
  }

  /** The queues for the next claim. */
  next(): string[] {
    if (!this.weights) return this.byWeight;
    let pick = 0;
    for (let i = 0; i < this.names.length; i++) {
      this.current[i]! += this.weights[i]!;
      if (this.current[i]! > this.current[pick]!) pick = i;
    }
    this.current[pick]! -= this.total;
    const first = this.names[pick]!;
    return [first, ...this.byWeight.filter((q) => q !== first)];
  }
}
