/** Argument parsing on node:util parseArgs, with its errors turned into one-line usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: exit code 2, one line on stderr. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** True when --help or -h appears before any `--`, whatever else is on the line. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Strict parsing: unknown options and options without their value are usage errors.
 * Ids are 22 base64url symbols and one in 64 starts with "-": such a token is an argument,
 * not an option, unless the command declares it, so `invite revoke -5Xb…` works as printed.
 */
export function parse(args: string[], options: OptionSpecs, command: string): Parsed {
  const declared = new Set(Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]));
  const end = args.indexOf('--');
  const shielded = args.map((arg, i) =>
    (end === -1 || i < end) && ID_SHAPED.test(arg) && !declared.has(arg.split('=')[0]!) ? SHIELD + arg : arg,
  );
  try {
    const { values, positionals } = parseArgs({ args: shielded, options, allowPositionals: true, strict: true });
    return {
      values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? unshield(v) : v])) as Parsed['values'],
      positionals: positionals.map(unshield),
    };
  } catch (error) {
    throw new UsageError(describeParseError(error, command));
  }
}

const ID_SHAPED = /^-[A-Za-z0-9_-]{21}$/;
/** A prefix parseArgs does not read as an option; no argument a person types starts with it. */
const SHIELD = '\u0000';
const unshield = (value: string): string => (value.startsWith(SHIELD) ? value.slice(SHIELD.length) : value);

function describeParseError(error: unknown, command: string): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1] ?? 'an option';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option} for "${command}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return message.includes('does not take') ? `option ${option} takes no value` : `option ${option} needs a value`;
  }
  return message.split('\n')[0] ?? message;
}

/** A whole number within bounds, or a usage error naming the option. */
export function wholeNumber(value: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}
