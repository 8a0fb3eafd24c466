/**
 * `confidant`: the operator's command. Reads the server's configuration, opens and migrates
 * the database, creates organisations, channels (with their lists of departments or locations
 * and their retention) and one-time invites, revokes invites, disables and enables staff
 * accounts, takes advisers off channels, verifies the audit log, and closes it again.
 * Exit codes: 0 done (also when an account was disabled or enabled already, and for a dry run
 * without --yes), 1 failed (unknown name, duplicate, an invite used or expired, database, broken
 * audit log), 2 usage or configuration.
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, askService } from '../server/admin-socket.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { openDatabase, type DatabaseHandle } from '../server/db/connection.js';
import { DomainError } from '../server/errors.js';
import { createAdministration } from '../server/services/administration.js';
import { createAudit } from '../server/services/audit.js';
import { createChannels } from '../server/services/channels.js';
import { parse, UsageError, wantsHelp } from './args.js';
import { checkInput, commands, groups, optionSpecs, usage, type Command } from './commands.js';
import { table } from './output.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** For tests: an open database to use instead of the configured one; it is migrated, not closed. */
  database?: DatabaseHandle;
}

const SLUG_NOTE = 'A <slug> is 1 to 64 lower-case letters, digits or hyphens, for example gemeente-utrecht.';

function mainHelp(): string[] {
  return [
    'Usage: confidant <command> [options]',
    '',
    'Sets up Confidant from the server: organisations, reporting channels (with their departments or',
    'locations and how long closed cases are kept) and one-time invites. Revokes invites, disables and',
    'enables staff accounts and takes advisers off channels.',
    'Checks that the audit log is intact.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${usage(c)}`),
    '',
    SLUG_NOTE,
    'Run "confidant <command> --help" for what a command does and its options.',
    '',
    'Options:',
    '  -h, --help     Show this help.',
    '  -V, --version  Show the version.',
    '',
    'Environment, the same as the server reads:',
    ...table(
      ['', ''],
      [
        ['  DATABASE_URL', 'postgres://… for PostgreSQL; unset: the embedded database in DATA_DIR'],
        ['  DATA_DIR', 'folder of the embedded database (default ./data)'],
        ['  ADMIN_SOCKET', 'socket of the running service (default DATA_DIR.sock; off: none)'],
        ['  PUBLIC_URL', 'the address people open, used in printed links'],
        ['  POW_DIFFICULTY', 'default proof-of-work difficulty of new channels (default 16)'],
      ],
    ).slice(1),
    'While the service runs, commands go to it through its socket (ADMIN_SOCKET, by default',
    'DATA_DIR.sock beside the data folder, readable only by its user): nothing needs to stop.',
  ];
}

function groupHelp(group: string, members: Command[]): string[] {
  return [
    `Usage: confidant ${group} <${members.map((c) => c.name).join('|')}>`,
    '',
    ...members.flatMap((c) => [`  ${usage(c)}`, `      ${c.summary}`]),
    '',
    `Run "confidant ${group} <command> --help" for its options.`,
  ];
}

function commandHelp(c: Command): string[] {
  const options = Object.entries(c.options).map(([name, o]) => [`  --${name}${o.value ? ` ${o.value}` : ''}`, o.help]);
  return [
    `Usage: ${usage(c)}`,
    '',
    c.summary,
    ...(c.details ? ['', ...c.details] : []),
    ...(c.args.some((arg) => arg.endsWith('slug>')) ? [SLUG_NOTE] : []),
    '',
    'Options:',
    ...table(['', ''], [...options, ['  -h, --help', 'Show this help.']]).slice(1),
  ];
}

function version(): string {
  // src/cli and dist/cli both sit two folders below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `confidant ${pkg.version}`;
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const [group, name, ...rest] = argv;
    if (group === undefined) throw new UsageError('missing command; run "confidant --help" for usage');
    if (group === '--help' || group === '-h') return print(io, mainHelp());
    if (group === '--version' || group === '-V') return print(io, [version()]);
    if (group === 'help') return run([...argv.slice(1), '--help'], io);
    if (group.startsWith('-')) throw new UsageError(`unknown option ${group}; run "confidant --help" for usage`);

    const members = commands.filter((c) => c.group === group);
    if (members.length === 0) {
      throw new UsageError(`unknown command "${group}"; the commands are ${groups.join(', ')}; run "confidant --help" for usage`);
    }
    // A group of one unnamed command is the command itself: `confidant backup <file>`.
    const alone = members.length === 1 && members[0]?.name === '' ? members[0] : undefined;
    const names = members.map((c) => c.name).join(', ');
    if (!alone && name === undefined) throw new UsageError(`missing ${group} command (${names}); run "confidant ${group} --help"`);
    if (!alone && (name === '--help' || name === '-h')) return print(io, groupHelp(group, members));
    const command = alone ?? members.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown ${group} command "${name}" (${names}); run "confidant ${group} --help"`);
    const args = alone ? argv.slice(1) : rest;
    if (wantsHelp(args)) return print(io, commandHelp(command));

    const input = parse(args, optionSpecs(command), usage(command).split(' ').slice(1, alone ? 2 : 3).join(' '));
    checkInput(command, input);
    // A file is the caller's: resolved here, since the service may run in another folder.
    let forwarded = argv;
    if (command.fileArgument) {
      const given = input.positionals[0]!;
      input.positionals[0] = path.resolve(given);
      const at = argv.indexOf(given, argv.length - args.length);
      forwarded = argv.map((arg, i) => (i === at ? input.positionals[0]! : arg));
    }
    const work = command.plan(input);

    const config = loadConfig(io.env);
    if (command.standalone) {
      await command.standalone(input, config, io.out);
      return 0;
    }
    // A running service takes the command on its own database: no stop, and its real address in links.
    if (!io.database && config.adminSocket && (await answers(config.adminSocket))) {
      const answer = await askService(config.adminSocket, forwarded);
      answer.out.forEach((line) => io.out(line));
      answer.err.forEach((line) => io.err(line));
      return answer.code;
    }
    const database = io.database ?? (await openOrExplain(() => openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })));
    try {
      await openOrExplain(() => database.migrate());
      await work({
        admin: createAdministration(database.db, { powDifficulty: config.powDifficulty }),
        audit: createAudit(database.db),
        channels: createChannels(database.db),
        config,
        database,
        out: io.out,
      });
    } finally {
      if (!io.database) await database.close().catch(() => {});
    }
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}

function print(io: Io, lines: string[]): number {
  lines.forEach((line) => io.out(line));
  return 0;
}

class DatabaseUnavailable extends Error {}

async function openOrExplain<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new DatabaseUnavailable(`cannot open the database: ${describe(error)}`);
  }
}

/** One line for any error; AggregateError (several addresses refused) has an empty message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describe))].join('; ');
  }
  if (error instanceof Error) {
    return (error.message || (error as { code?: string }).code || error.name).split('\n')[0]!;
  }
  return String(error);
}

function fail(io: Io, error: unknown): number {
  if (error instanceof UsageError) {
    io.err(`confidant: ${error.message}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.err(`confidant: configuration error: ${error.message}`);
    return 2;
  }
  if (error instanceof DomainError) {
    io.err(`confidant: ${error.message}`);
    // Malformed input (a bad slug or name) is a usage error; unknown names and duplicates are failures.
    return error.kind === 'invalid' ? 2 : 1;
  }
  io.err(`confidant: ${describe(error)}`);
  return 1;
}

/** The process entry: bin/confidant.js calls this; so does running this file directly. */
export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  });
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) await main();
