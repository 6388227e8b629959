/**
 * The hardening pieces without servers: the development mode's Host rule, TRUST_PROXY's
 * parsing, the per-caller slot counter, and bodies that are not well-formed Unicode.
 */
import { HttpProblem } from '../../src/http/problem';
import { parseJson } from '../../src/http/body';
import { CallerSlots } from '../../src/http/caller-slots';
import { hostName, isLoopbackName } from '../../src/http/host-check';
import { loadConfig } from '../../src/config';

describe('Host header in development mode', () => {
  test.each([
    ['localhost', 'localhost'],
    ['LOCALHOST:3000', 'localhost'],
    ['localhost.:3000', 'localhost'],
    ['127.0.0.1:3000', '127.0.0.1'],
    ['[::1]:3000', '::1'],
    ['[::1]', '::1'],
    ['app.localhost:8080', 'app.localhost'],
    ['evil.example:3000', 'evil.example'],
    ['', ''],
  ])('%p names %p', (header, name) => expect(hostName(header)).toBe(name));

  test.each(['localhost', 'app.localhost', '127.0.0.1', '127.255.3.4', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])('%p is loopback', (name) => {
    expect(isLoopbackName(name)).toBe(true);
  });

  test.each([
    '',
    'evil.example',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '128.0.0.1',
    '10.0.0.1',
    '0.0.0.0',
    '::',
    '::2',
    '::ffff:10.0.0.1',
    '127.0.0.256',
    'localhostx',
  ])('%p is not loopback', (name) => {
    expect(isLoopbackName(name)).toBe(false);
  });
});

describe('TRUST_PROXY', () => {
  const hops = (value: string | undefined) => {
    const before = process.env.TRUST_PROXY;
    if (value === undefined) delete process.env.TRUST_PROXY;
    else process.env.TRUST_PROXY = value;
    try {
      return loadConfig().security.trustProxyHops;
    } finally {
      if (before === undefined) delete process.env.TRUST_PROXY;
      else process.env.TRUST_PROXY = before;
    }
  };

  test('unset or 0: X-Forwarded-For is not read; N: N hops', () => {
    expect([hops(undefined), hops(''), hops('0'), hops('1'), hops('2'), hops(' 3 ')]).toEqual([0, 0, 0, 1, 2, 3]);
  });

  test('"true" and "false" still mean 1 and 0, with a deprecation warning', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect([hops('true'), hops('false')]).toEqual([1, 0]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('TRUST_PROXY=true is deprecated'), 'DeprecationWarning');
    } finally {
      warn.mockRestore();
    }
  });

  test.each(['-1', '1.5', 'yes', 'TRUE', '1e2', '100'])('%p is refused at start', (value) => {
    expect(() => hops(value)).toThrow(/TRUST_PROXY must be the number of trusted proxies/);
  });
});

describe('CallerSlots', () => {
  test('a caller takes up to the cap; a release frees one slot once; callers are counted apart', () => {
    const slots = new CallerSlots(2);
    const a1 = slots.take('key:a');
    const a2 = slots.take('key:a');
    expect([a1, a2].every(Boolean)).toBe(true);
    expect(slots.take('key:a')).toBeUndefined();
    expect(slots.take('key:b')).toBeDefined();
    a1!();
    a1!();
    expect(slots.of('key:a')).toBe(1);
    expect(slots.take('key:a')).toBeDefined();
    expect(slots.take('key:a')).toBeUndefined();
  });
});

describe('JSON bodies must be well-formed Unicode', () => {
  const refusal = (text: string) => {
    try {
      parseJson(text);
      return undefined;
    } catch (error) {
      return error instanceof HttpProblem ? [error.status, error.errors?.[0]?.path] : error;
    }
  };

  test('a lone surrogate, in a value or a key, is a 400 at its path', () => {
    expect(refusal('{"state":{"note":"a\\udfff"}}')).toEqual([400, 'state.note']);
    expect(refusal('{"canvas":{"args":[1,"\\ud800"]}}')).toEqual([400, 'canvas.args[1]']);
    expect(refusal('{"memo":{"\\ud800x":1}}')).toEqual([400, 'memo.\ud800x']);
    expect(refusal('"\\udc00"')).toEqual([400, '']);
  });

  test('pairs, emoji and every other character are text', () => {
    expect(refusal('{"a":"\\ud83d\\ude00 😀 \\u0000 \\uffff \\u{10ffff}"}'.replace('\\u{10ffff}', '\u{10ffff}'))).toBeUndefined();
  });
});
