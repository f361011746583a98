import { InvalidArgumentError } from 'commander';

const TRUE_WORDS: ReadonlySet<string> = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['', '0', 'false', 'no', 'off']);

/**
 * The value of a boolean env var (a flag without argument): 1/true/yes/on, 0/false/no/off or
 * empty, any case, spaces around ignored. undefined for anything else — strict, so that a typo
 * (`TCPB_DRY_RUN=ture`) is a usage error, not a silent true or false.
 */
export function parseBooleanEnv(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  return undefined;
}

/**
 * A commander argument parser for a whole number in [min, max]. Spaces around are ignored and
 * `_` may group digits (`1_048_576`); anything else (fractions, exponents, hex, unsafe integers)
 * throws InvalidArgumentError, which commander turns into a message naming the flag.
 */
export function integerParser(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const text = value.trim();
    if (!/^-?\d+(_\d+)*$/.test(text))
      throw new InvalidArgumentError(`${JSON.stringify(value)} is not an integer.`);
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${text} is not within ${min}-${max}.`);
    }
    return n === 0 ? 0 : n; // "-0" is 0, not -0
  };
}
