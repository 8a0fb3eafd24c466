import t from 'tap';
import { mailboxLoginMessage, ready, signMailboxLogin, sodium } from '../../src/protocol/index.js';
import { verifyMailboxLogin } from '../../src/protocol/checks.js';

t.before(async () => { await ready(); });

t.test('sign and verify', async (t) => {
  const s = sodium();
  const keys = s.crypto_sign_keypair();
  const challenge = s.randombytes_buf(32);
  const signature = signMailboxLogin(challenge, keys.privateKey);
  t.equal(signature.length, 64);
  t.ok(verifyMailboxLogin(challenge, signature, keys.publicKey));
  t.same(mailboxLoginMessage(new Uint8Array([1, 2])), new Uint8Array([...new TextEncoder().encode('confidant-v1/mailbox-login/'), 1, 2]));

  const other = s.crypto_sign_keypair();
  t.notOk(verifyMailboxLogin(challenge, signature, other.publicKey), 'other key');
  t.notOk(verifyMailboxLogin(s.randombytes_buf(32), signature, keys.publicKey), 'other challenge');
  const flipped = signature.slice();
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  t.notOk(verifyMailboxLogin(challenge, flipped, keys.publicKey), 'flipped signature');
  t.notOk(verifyMailboxLogin(challenge, s.crypto_sign_detached(challenge, keys.privateKey), keys.publicKey), 'a signature without the prefix');
});

t.test('malformed input gives false, never an exception', async (t) => {
  const s = sodium();
  const keys = s.crypto_sign_keypair();
  const challenge = s.randombytes_buf(32);
  const signature = signMailboxLogin(challenge, keys.privateKey);
  t.notOk(verifyMailboxLogin(challenge, signature.slice(0, 63), keys.publicKey));
  t.notOk(verifyMailboxLogin(challenge, new Uint8Array(65), keys.publicKey));
  t.notOk(verifyMailboxLogin(challenge, signature, keys.publicKey.slice(0, 31)));
  t.notOk(verifyMailboxLogin(challenge, new Uint8Array(0), new Uint8Array(0)));
  t.notOk(verifyMailboxLogin(challenge, signature, new Uint8Array(32)), 'all-zero public key');
  t.notOk(verifyMailboxLogin(null as unknown as Uint8Array, signature, keys.publicKey));
  t.notOk(verifyMailboxLogin(challenge, 'sig' as unknown as Uint8Array, keys.publicKey));
  t.throws(() => signMailboxLogin(challenge, keys.privateKey.slice(0, 32)), { name: 'ProtocolError', code: 'bad_length' });
});
