// The esbuild options of the web bundle, shared by scripts/build-web.js and the browser tests
// that bundle other entries (test/browser/vectors.test.ts), so both bundle code the same way.
export const webBuildOptions = Object.freeze({
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});
