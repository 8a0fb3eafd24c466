#!/usr/bin/env node
// The `confidant` operator command; the code is compiled from src/cli by `npm run build`.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('confidant: not built yet; run "npm run build" in the Confidant folder first\n');
    process.exit(1);
  }
  throw error;
}
await cli.main();
