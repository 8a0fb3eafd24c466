// Bundles the browser app (src/web) into public/assets with esbuild: no CDN, no inline script.
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { webBuildOptions } from './web-build-options.js';

const entries = ['src/web/main.tsx', 'src/web/worker.ts'].filter((file) => existsSync(file));
if (entries.length === 0) {
  process.stdout.write('build-web: no web app sources yet; serving public/ as it is\n');
} else {
  await build({ ...webBuildOptions, entryPoints: entries, outdir: 'public/assets' });
}
