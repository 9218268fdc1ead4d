// What an analyst (and the log) is shown of C1fApp's answer (contract §2): the key blanked in
// every form and every place, a short key only as a whole token, the text cut at 300 characters.
import t from 'tap'
import { MESSAGE_BODY_LIMIT, quote, readAnswer } from '../../../lib/c1fapp/answer.js'

t.test('the key is blanked at every occurrence', async t => {
  const key = 'demo-c1fapp-key-0000000000000000'
  t.equal(quote(`Invalid API key ${key}; key ${key} refused (${key})`, key), 'Invalid API key <key>; key <key> refused (<key>)')
  t.equal(quote(`x${key}y`, key), 'x<key>y', 'a long key even run into other letters')
})

t.test('the JSON-escaped forms of the key are blanked too', async t => {
  const key = 'p/á"s\\s-wörd'
  const js = JSON.stringify(key).slice(1, -1)
  const python = 'p/\\u00e1\\"s\\\\s-w\\u00f6rd'
  const php = 'p\\/\\u00e1\\"s\\\\s-w\\u00f6rd'
  t.not(js, key)
  for (const form of [key, js, python, php, js.replace('/', '\\/')]) {
    t.equal(quote(`{"error":"bad key","key":"${form}"}`, key), '{"error":"bad key","key":"<key>"}', form)
  }
  const astral = 'key-😀-0000'
  t.equal(quote('{"key":"key-\\ud83d\\ude00-0000"}', astral), '{"key":"<key>"}', 'characters outside the BMP as surrogate escapes')
})

t.test('the URL-encoded and HTML-escaped forms of the key are blanked too, and any mix of the forms', async t => {
  const key = 'a/b"c&d<e+f=g h\'i>ü😀-0000'
  const html = key.replace(/[&<>"']/g, char => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!)
  const forms = {
    encodeURIComponent: encodeURIComponent(key),
    'lower-case hex': encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, escape => escape.toLowerCase()),
    'form encoding, a space as +': new URLSearchParams({ key }).toString().slice('key='.length),
    'PHP urlencode': encodeURIComponent(key).replace(/[!'()*~]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`).replaceAll('%20', '+'),
    'Python quote, / kept': encodeURIComponent(key).replaceAll('%2F', '/'),
    'HTML-escaped': html,
    'HTML-escaped with &apos; and numeric references': html.replaceAll('&#39;', '&apos;').replace('ü', '&#252;').replace('😀', '&#x1F600;').replace('a', '&#x61;').replace('b', '&#0098;'),
    'JSON-escaped, URL-encoded': JSON.stringify(encodeURIComponent(key)).slice(1, -1).replaceAll('%2F', '\\/')
  }
  for (const [name, form] of Object.entries(forms)) {
    t.not(form, key, `${name} is another form`)
    t.equal(quote(`{"error":"bad key ${form}","url":"/api?key=${form}&x=1"}`, key), '{"error":"bad key <key>","url":"/api?key=<key>&x=1"}', name)
  }
  t.equal(quote('a+b a%20b a b a&#32;b', 'a b'), '<key> <key> <key> <key>', 'a short key with a space, in each form, as a whole token')
  t.equal(quote('key=a%2Bb a+b', 'a+b'), 'key=<key> <key>', 'a plus is a plus, or %2B')
  t.equal(quote('a b', 'a+b'), 'a b', 'never a space for a plus')
})

t.test('a short key is blanked only where it stands as a whole token', async t => {
  t.equal(quote('Invalid API key k', 'k'), 'Invalid API key <key>')
  t.equal(quote('key=k&kk=k.', 'k'), 'key=<key>&kk=<key>.')
  t.equal(quote('k1 is not ak1, k1b or 5k1', 'k1'), '<key> is not ak1, k1b or 5k1')
  t.equal(quote('abc1234 abc1234x', 'abc1234'), '<key> abc1234x', 'seven characters: still a token only')
  t.equal(quote('abc12345 xabc12345x', 'abc12345'), '<key> x<key>x', 'eight: everywhere')
  t.equal(quote('a.b a+b a(b', 'a.b'), '<key> a+b a(b', 'a key with regular-expression characters is taken literally')
})

t.test('the message is cut at exactly 300 characters', async t => {
  t.equal(MESSAGE_BODY_LIMIT, 300)
  t.equal(quote('x'.repeat(300), 'k'), 'x'.repeat(300), '300: whole')
  t.equal(quote('x'.repeat(301), 'k'), `${'x'.repeat(300)}…`, '301: cut')
  t.equal(quote(`  ${'x'.repeat(300)}  `, 'k'), 'x'.repeat(300), 'blanks around it do not count')
  const key = 'secret-key-123456'
  t.equal(quote(`${'x'.repeat(290)}${key}`, key), `${'x'.repeat(290)}<key>`, 'blanked before it is cut: no part of the key at the edge')
  t.throws(() => readAnswer(500, 'y'.repeat(301), 'k'), { message: `Unexpected response from C1fApp: ${'y'.repeat(300)}…` })
})
