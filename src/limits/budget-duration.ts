/**
 * LiteLLM's budget durations (`duration_in_seconds`): a number and a unit, `s`, `m`, `h`, `d`,
 * `w` or `mo` (calendar months). Undefined for text it would refuse.
 */
export function parseDuration(text: string): { amount: number; unit: 's' | 'm' | 'h' | 'd' | 'w' | 'mo' } | undefined {
  const found = /^(\d+)(s|m|h|d|w|mo)$/.exec(text.trim());
  if (found === null) return undefined;
  const amount = Number(found[1]);
  if (!Number.isSafeInteger(amount) || amount <= 0) return undefined;
  return { amount, unit: found[2] as 's' | 'm' | 'h' | 'd' | 'w' | 'mo' };
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** The duration in milliseconds when it has a fixed length (every unit but `mo`), else undefined. */
export function fixedDurationMs(text: string): number | undefined {
  const parsed = parseDuration(text);
  return parsed === undefined || parsed.unit === 'mo' ? undefined : parsed.amount * UNIT_MS[parsed.unit];
}

/**
 * `from` plus the duration (epoch ms). Months are added on the calendar in UTC, the day clamped
 * to the target month's last (Jan 31 + 1mo = Feb 28), as Python's relativedelta does.
 */
export function addDuration(from: number, text: string): number | undefined {
  const parsed = parseDuration(text);
  if (parsed === undefined) return undefined;
  if (parsed.unit !== 'mo') return from + parsed.amount * UNIT_MS[parsed.unit];
  const date = new Date(from);
  const day = date.getUTCDate();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() + parsed.amount);
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  date.setUTCDate(Math.min(day, lastDay));
  return date.getTime();
}
