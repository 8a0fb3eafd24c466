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

/** Strict parsing: unknown options and options without their value are usage errors. */
export function parse(args: string[], options: OptionSpecs, command: string): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error, command));
  }
}

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
