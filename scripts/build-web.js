// Bundles the browser app (src/web) into public/assets with esbuild: no CDN, no inline script.
// Code split: a module the pages import lazily (the charts of the annual report) becomes a chunk
// of its own, so reporters never download it.
import { existsSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { webBuildOptions } from './web-build-options.js';

const entries = ['src/web/main.tsx', 'src/web/worker.ts', 'src/web/period-helper.ts'].filter((file) => existsSync(file));
if (entries.length === 0) {
  process.stdout.write('build-web: no web app sources yet; serving public/ as it is\n');
} else {
  // Chunk names carry a hash: old ones would pile up.
  rmSync('public/assets', { recursive: true, force: true });
  await build({ ...webBuildOptions, entryPoints: entries, outdir: 'public/assets', splitting: true, chunkNames: 'chunk-[hash]' });
}
