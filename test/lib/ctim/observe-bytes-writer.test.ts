// The byte writer the answer's sightings and relationships are written with: its JSON strings must
// be exactly JSON.stringify's, UTF-8 encoded.
import fc from 'fast-check'
import t from 'tap'
import { JsonBytes } from '../../../lib/ctim/observe-bytes.js'

function quoted (text: string): string {
  const out = new JsonBytes()
  out.quoted(text)
  return out.written().toString('latin1')
}

const stringified = (text: string): string => Buffer.from(JSON.stringify(text)).toString('latin1')

t.test('a JSON string is the bytes of JSON.stringify', async t => {
  const controls = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('')
  for (const text of ['', 'plain ascii', 'say "hi"', 'back\\slash', controls, 'del \u007f stays', 'a"b\u0001c\\d\n',
    'café', '€ and ünïcödé', 'emoji 😀 pair', 'lone \ud800 high', 'lone \udc00 low', '"quoted" then é']) {
    t.equal(quoted(text), stringified(text), JSON.stringify(text))
  }
})

t.test('any string, as JSON.stringify writes it (property)', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), text => quoted(text) === stringified(text)), { numRuns: 2000 })
  t.pass('2 000 strings of any UTF-16 units, lone surrogates included')
})

t.test('items are separated by commas; pieces go in as they are', async t => {
  const out = new JsonBytes()
  out.items(Buffer.from('{"x":1}'), 0)
  t.equal(out.count, 0, 'no items, no comma')
  out.next()
  out.raw(Buffer.from('{"id":"'))
  out.ascii('transient:sighting-1')
  out.byte(0x22)
  out.byte(0x7d)
  out.items(Buffer.from('{"a":1},{"b":2}'), 2)
  out.next()
  out.quoted('x"y')
  t.equal(out.written().toString(), '{"id":"transient:sighting-1"},{"a":1},{"b":2},"x\\"y"')
  t.equal(out.count, 4)
  out.start()
  t.equal(out.written().length, 0)
  t.equal(out.count, 0)
})

t.test('the writer grows as it needs, and lets a large answer\'s memory go when it starts again', async t => {
  const out = new JsonBytes()
  const initial = out.bytes.length
  const long = 'x'.repeat(initial)
  out.quoted(long)
  t.ok(out.bytes.length > initial, 'grown for a string longer than the room left')
  t.equal(out.written().toString(), JSON.stringify(long))
  out.start()
  t.ok(out.bytes.length > initial, 'a writer under 8 MB keeps its memory')
  const huge = 'é'.repeat(2 * 1024 * 1024)
  out.quoted(huge)
  t.equal(out.written().toString(), JSON.stringify(huge), 'grown past 8 MB, through the fallback beyond ASCII')
  out.start()
  t.equal(out.bytes.length, initial, 'past 8 MB, back to its first size')
})
