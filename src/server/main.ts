/** `npm start`: configuration, database, migrations, first start, listen, graceful shutdown. */
import type { Server } from 'node:net';
import { run } from '../cli/main.js';
import { openAdminSocket, type AdminAnswer } from './admin-socket.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/connection.js';
import { firstStart } from './services/first-start.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  await database.migrate();
  const app = await buildApp(config, database);
  const welcome = await firstStart(database.db, config.publicUrl, config.powDifficulty);

  let closing = false;
  let adminServer: Server | null = null;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    adminServer?.close();
    // close() stops accepting, waits for requests in flight, then we close the pool.
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  if (config.adminSocket) {
    // The command's configuration is the service's, with the port it really listens on (PORT=0 picks one).
    const address = app.server.address();
    const env = { ...process.env, ...(typeof address === 'object' && address ? { PORT: String(address.port) } : {}) };
    const runHere = async (argv: string[]): Promise<AdminAnswer> => {
      const answer: AdminAnswer = { code: 0, out: [], err: [] };
      answer.code = await run(argv, { out: (line) => answer.out.push(line), err: (line) => answer.err.push(line), env, database });
      return answer;
    };
    adminServer = await openAdminSocket(config.adminSocket, runHere).catch((error: unknown) => {
      app.log.warn({ err: error }, 'the confidant command cannot reach this service: its socket could not be opened');
      return null;
    });
  }
  const where = config.databaseUrl ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`;
  const lines = [``, `Confidant is running on ${where}.`, `Open ${config.publicUrl}/`];
  if (welcome) {
    lines.push(
      ``,
      `First start: a demo organisation and channel were created.`,
      `  1. Set up the first adviser: ${welcome.setupLink}`,
      `     This link works once, for 7 days, and is not shown again.`,
      `  2. Then reporters use:       ${welcome.channelUrl}`,
      `     (until an adviser exists, that page says the channel cannot take reports yet)`,
      `  3. The operator's console (organisations, channels, invites, accounts) is at ${config.publicUrl}/operator,`,
      `     for the account this link sets up (once, for 7 days): ${welcome.operatorLink}`,
      `More organisations, channels and invites: npx confidant --help (it works while the service runs).`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Confidant could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
