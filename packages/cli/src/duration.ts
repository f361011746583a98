import { InvalidArgumentError, type Option } from 'commander';
import { envOption } from './env-option.js';

const FACTOR: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `500ms`, `10s`, `2m`, `1h`, `1.5s`, or a plain number in
 * `plainUnit`. undefined for anything else (the caller names the flag in its error).
 */
export function parseDurationMs(text: string, plainUnit: 'ms' | 's'): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const factor = FACTOR[(m[2] ?? plainUnit).toLowerCase()] as number;
  const ms = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** `90000` → `1m30s`, `1500` → `1500ms`: how defaults are shown in --help. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return s > 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

export interface DurationSpec {
  /** What a number without a unit means: today's meaning of the flag. */
  readonly plainUnit: 'ms' | 's';
  /** Inclusive bounds, in ms. */
  readonly min: number;
  readonly max: number;
  /** In ms. */
  readonly default?: number;
}

/**
 * A plain number below this many ms is most likely a unit mistake (`--timeout 5` meant 5 s, not
 * 5 ms; issue 11): the program says so in a warning, and goes on with what it was told.
 */
export const SUSPICIOUS_PLAIN_MS = 100;

/** The warning a duration option's last parsed value left, read by parseCommandLine. */
const warnings = new WeakMap<Option, string>();

export function durationWarningOf(option: Option): string | undefined {
  return warnings.get(option);
}

/**
 * An env-carrying option for a time: accepts 500ms, 30s, 2m, 1h; a plain number keeps the
 * flag's historic unit (`plainUnit`). The help names the units; the default is shown as `30s`.
 */
export function durationOption(flags: string, description: string, spec: DurationSpec): Option {
  const unit = spec.plainUnit === 'ms' ? 'ms' : 's';
  const option = envOption(flags, `${description} (500ms, 30s, 2m; plain number: ${unit})`);
  const flag = option.long ?? flags;
  option.argParser((value: string): number => {
    const ms = parseDurationMs(value, spec.plainUnit);
    if (ms === undefined) {
      throw new InvalidArgumentError(
        `${JSON.stringify(value)} is not a duration like 500ms, 30s, 2m (plain number: ${unit}).`,
      );
    }
    if (ms < spec.min || ms > spec.max) {
      throw new InvalidArgumentError(
        `${value.trim()} is not within ${formatDuration(spec.min)}-${formatDuration(spec.max)}.`,
      );
    }
    const plain = /^\s*[\d.]+\s*$/.test(value);
    if (plain && spec.plainUnit === 'ms' && ms > 0 && ms < SUSPICIOUS_PLAIN_MS) {
      const n = value.trim();
      warnings.set(
        option,
        `${flag} ${n} means ${n} ms (a plain number is milliseconds): write ${n}ms to keep it, ${n}s if you meant seconds`,
      );
    } else warnings.delete(option);
    return ms;
  });
  if (spec.default !== undefined) option.default(spec.default, formatDuration(spec.default));
  return option;
}
