import type { Deployment, RouterSettings } from '../config/index.js';
import { GatewayError, type Clock, type Logger } from '../core/index.js';
import type { RedisConnection } from '../redis/index.js';
import { Cooldowns, type Cooldown, type CountedFailure } from './cooldowns.js';
import type { Member } from './group-member.js';
import { parseRetryAfter } from './retry-policy.js';
import type { RouterObserver } from './router-observer.js';
import { SharedRouterState } from './shared-router-state.js';
import type { UsageCounter } from './usage-counter.js';

/**
 * What the router knows about each deployment's fitness to serve: cooldowns (its own and other
 * hosts', through Redis), health from the background checks, and the reports that go with them
 * (a log line and an observer event when a deployment starts and stops sitting out).
 */

export interface DeploymentWatchOptions {
  settings: RouterSettings;
  clock: Clock;
  logger: Logger | undefined;
  observer: RouterObserver;
  /** Every member, by model group. */
  groups: ReadonlyArray<readonly Member[]>;
  redis?: RedisConnection;
  usage?: UsageCounter;
  syncIntervalMs?: number;
}

export interface DeploymentState {
  deployment: Deployment;
  coolingDown: boolean;
  cooldownRemainingMs: number;
  healthy: boolean;
  inFlight: number;
}

export class DeploymentWatch {
  private readonly cooldowns: Cooldowns;
  private readonly health = new Map<string, boolean>();
  private readonly members = new Map<string, Member>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly shared: SharedRouterState | undefined;

  constructor(private readonly options: DeploymentWatchOptions) {
    this.cooldowns = new Cooldowns(options.settings, options.clock);
    for (const group of options.groups) for (const member of group) this.members.set(member.deployment.id, member);
    if (options.redis !== undefined) {
      this.shared = new SharedRouterState({
        redis: options.redis,
        coolable: options.groups.filter((g) => g.length > 1).flatMap((g) => g.map((m) => m.deployment.id)),
        cooldowns: this.cooldowns,
        usage: options.usage === undefined ? undefined : { counter: options.usage, ids: [...this.members.keys()] },
        intervalMs: options.syncIntervalMs,
        onSharedCooldown: (id, remainingMs) => this.applySharedCooldown(id, remainingMs),
      });
      this.shared.start();
    }
  }

  isCoolingDown(id: string): boolean {
    return this.cooldowns.isCoolingDown(id);
  }

  cooldownRemainingMs(id: string): number {
    return this.cooldowns.remainingMs(id);
  }

  isHealthy(id: string): boolean {
    return this.health.get(id) ?? true;
  }

  setHealth(id: string, healthy: boolean): void {
    const member = this.members.get(id);
    if (member === undefined || this.isHealthy(id) === healthy) return;
    this.health.set(id, healthy);
    this.reportState(member);
  }

  /** A failure that is the deployment's fault: it may start a cooldown. */
  blame(member: Member, kind: CountedFailure, groupSize: number, error: unknown): void {
    const retryAfterMs = error instanceof GatewayError ? parseRetryAfter(error.headers, this.options.clock.now()) : undefined;
    const cooldown = this.cooldowns.recordFailure(member.deployment.id, kind, groupSize, retryAfterMs);
    if (cooldown !== undefined) this.cooledDown(member, cooldown, error);
  }

  states(): DeploymentState[] {
    return [...this.members.values()].map((member) => {
      const id = member.deployment.id;
      return {
        deployment: member.deployment,
        coolingDown: this.isCoolingDown(id),
        cooldownRemainingMs: this.cooldownRemainingMs(id),
        healthy: this.isHealthy(id),
        inFlight: member.inFlight,
      };
    });
  }

  close(): void {
    this.shared?.stop();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private cooledDown(member: Member, cooldown: Cooldown, error: unknown): void {
    const { deployment } = member;
    this.options.logger?.warn({
      model_group: deployment.modelName, deployment_id: deployment.id, reason: cooldown.reason, cooldown_ms: cooldown.durationMs,
      error_code: error instanceof GatewayError ? error.code : undefined,
    }, 'deployment cooling down');
    this.options.observer.onCooldown?.({ deployment, durationMs: cooldown.durationMs, reason: cooldown.reason });
    this.shared?.announceCooldown(deployment.id, cooldown.durationMs, cooldown.reason);
    this.reportState(member);
    this.watchCooldownEnd(member);
  }

  private applySharedCooldown(id: string, remainingMs: number): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    const wasCooling = this.isCoolingDown(id);
    if (!this.cooldowns.apply(id, remainingMs)) return;
    this.watchCooldownEnd(member);
    if (wasCooling) return;
    const { deployment } = member;
    this.options.logger?.warn({ model_group: deployment.modelName, deployment_id: id, reason: 'shared', cooldown_ms: Math.round(remainingMs) }, 'deployment cooling down');
    this.options.observer.onCooldown?.({ deployment, durationMs: remainingMs, reason: 'shared' });
    this.reportState(member);
  }

  /** Reports the end of a cooldown when it comes: the log and the deployment-state metric need it. */
  private watchCooldownEnd(member: Member): void {
    const id = member.deployment.id;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (this.isCoolingDown(id)) return this.watchCooldownEnd(member);
      this.options.logger?.info({ model_group: member.deployment.modelName, deployment_id: id }, 'deployment back from cooldown');
      this.reportState(member);
    }, Math.ceil(this.cooldownRemainingMs(id)) + 1);
    timer.unref();
    this.timers.set(id, timer);
  }

  private reportState(member: Member): void {
    const id = member.deployment.id;
    this.options.observer.onDeploymentState?.({ deployment: member.deployment, coolingDown: this.isCoolingDown(id), healthy: this.isHealthy(id) });
  }
}
