// The protocol's own tests again, on the pure-JavaScript engine a browser without WebAssembly
// uses (src/protocol/sodium-noble.ts): every vector of docs/vectors (the code derivations with
// the real Argon2id parameters, the report record, the mailbox login, the proof of work, the key
// commitment, pin and fingerprint) and the envelope, padding, base64url, code, staff key,
// mailbox login and proof-of-work tests, each file as it runs on libsodium.
import t from 'tap';
import { activeEngine, useEngine } from '../../src/protocol/sodium.js';

await useEngine('noble');
t.equal(activeEngine(), 'noble', 'the tests below run on the pure-JavaScript engine');

for (const file of [
  './vectors.test.js', './pinning-vectors.test.js', './envelope.test.js', './padding.test.js', './base64url.test.js',
  './code.test.js', './staff-keys.test.js', './mailbox-login.test.js', './pow.test.js', './reporter.test.js',
]) {
  await import(file);
}
