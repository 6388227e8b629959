/** The webhook URL policy without a server: what an empty allow-list refuses, what a list allows. */
import { isPublicAddress, resolveWebhookAddress, webhookUrlProblem } from '../../src/webhooks/url-policy';
import { signatureHeader, verifySignature } from '../../src/webhooks/signing';

const open = { allowedHosts: [] };

test.each([
  'http://127.0.0.1/x',
  'http://10.1.2.3/x',
  'http://172.20.0.1/x',
  'http://192.168.1.1/x',
  'http://169.254.169.254/latest/meta-data',
  'http://100.64.0.1/x',
  'http://0.0.0.0/x',
  'http://[::1]/x',
  'http://[fd00::1]/x',
  'http://[fe80::1]/x',
  'http://[::ffff:127.0.0.1]/x',
  'http://localhost/x',
])('without an allow-list, %s is refused', async (url) => {
  await expect(resolveWebhookAddress(url, open)).rejects.toThrow(/loopback, private or reserved/);
});

test('without an allow-list, a public address is allowed', async () => {
  await expect(resolveWebhookAddress('https://93.184.215.14/hook', open)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  expect(isPublicAddress('2606:4700::1111')).toBe(true);
});

test('a listed host is allowed even when private, and an unlisted one is refused by name', async () => {
  const policy = { allowedHosts: ['127.0.0.1', '*.internal.example'] };
  await expect(resolveWebhookAddress('http://127.0.0.1:8080/hook', policy)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  expect(webhookUrlProblem('https://hooks.internal.example/x', policy)).toBeUndefined();
  expect(webhookUrlProblem('https://internal.example.evil.test/x', policy)).toMatch(/not in WEBHOOK_ALLOWED_HOSTS/);
  expect(webhookUrlProblem('https://93.184.215.14/x', policy)).toMatch(/not in WEBHOOK_ALLOWED_HOSTS/);
});

test('the URL form: http(s) only, no credentials, bounded length', () => {
  expect(webhookUrlProblem('ftp://93.184.215.14/x', open)).toMatch(/http or https/);
  expect(webhookUrlProblem('https://user:pw@93.184.215.14/x', open)).toMatch(/credentials/);
  expect(webhookUrlProblem(`https://93.184.215.14/${'a'.repeat(3000)}`, open)).toMatch(/at most 2048/);
  expect(webhookUrlProblem('/relative', open)).toMatch(/absolute/);
});

test('a signature verifies with its secret and body only, and not once stale', () => {
  const now = Date.now();
  const header = signatureHeader('s3cret-s3cret-s3cret', Math.floor(now / 1000), '{"a":1}');
  expect(verifySignature('s3cret-s3cret-s3cret', header, '{"a":1}', 300, now)).toBe(true);
  expect(verifySignature('s3cret-s3cret-s3cret', header, '{"a":2}', 300, now)).toBe(false);
  expect(verifySignature('another-secret-here', header, '{"a":1}', 300, now)).toBe(false);
  expect(verifySignature('s3cret-s3cret-s3cret', header, '{"a":1}', 300, now + 600_000)).toBe(false);
});
