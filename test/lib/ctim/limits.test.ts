// Contract §3: the schema's string bounds. A text at its bound is kept whole; a longer one is cut to
// the bound, ellipsis included, never between the two halves of a surrogate pair (the bound counts
// UTF-16 units, as the schema does).
import t from 'tap'
import fc from 'fast-check'
import { fitText, fitUri, MAX_SOURCE_URI } from '../../../lib/ctim/limits.js'
import { fuzzParameters } from '../../fuzz/fuzz.js'

t.test('a text of exactly the bound is kept whole; one unit more is cut to the bound', async t => {
  for (const max of [2, 1024, 5000]) {
    t.equal(fitText('x'.repeat(max), max), 'x'.repeat(max), `${max} units of ${max}: as it is`)
    t.equal(fitText('x'.repeat(max + 1), max), `${'x'.repeat(max - 1)}…`, `${max + 1} units of ${max}: cut, with the ellipsis`)
  }
  const astral = `${'x'.repeat(8)}😀`
  t.equal(fitText(astral, 10), astral, 'a pair that ends exactly at the bound is kept')
})

t.test('a cut never splits a surrogate pair: the whole pair goes', async t => {
  // Every high surrogate at the edges of its range, and the units just outside it, as the last
  // unit before the cut (the ellipsis takes the bound's last unit).
  const cases: Array<[string, string, string]> = [
    ['U+10000', '\ud800\udc00', 'xxxxxxxx…'],
    ['U+10FFFF', '\udbff\udfff', 'xxxxxxxx…'],
    ['U+1F600', '😀', 'xxxxxxxx…']
  ]
  for (const [name, pair, cut] of cases) {
    t.equal(fitText(`${'x'.repeat(8)}${pair}xx`, 10), cut, `${name} straddling the cut is left out whole`)
    t.equal(fitText(`${'x'.repeat(7)}${pair}xxx`, 10), `xxxxxxx${pair}…`, `${name} before the cut is kept whole`)
  }
  t.equal(fitText(`${'x'.repeat(8)}\ud7ffxx`, 10), 'xxxxxxxx\ud7ff…', 'U+D7FF, below the surrogates, is a whole character')
  t.equal(fitText(`${'x'.repeat(8)}\udc00xx`, 10), 'xxxxxxxx\udc00…', 'a lone low surrogate is one unit: nothing after it to keep together')
})

t.test('any text: at most the bound, a prefix of the text, and no pair of the text split', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 2, max: 30 }), (text, max) => {
    const fitted = fitText(text, max)
    if (text.length <= max) return fitted === text
    const kept = fitted.slice(0, -1)
    const last = kept.charCodeAt(kept.length - 1)
    const splitsPair = last >= 0xd800 && last <= 0xdbff && text.charCodeAt(kept.length) >= 0xdc00 && text.charCodeAt(kept.length) <= 0xdfff
    return fitted.endsWith('…') && fitted.length <= max && fitted.length >= max - 1 && text.startsWith(kept) && !splitsPair
  }), fuzzParameters(300))
})

t.test('a URI of the bound fits; one unit more is left out, not cut', async t => {
  const uri = `https://feed.example/${'p'.repeat(MAX_SOURCE_URI - 21)}`
  t.equal(fitUri(uri), uri)
  t.equal(fitUri(`${uri}p`), undefined)
  t.equal(fitUri(undefined), undefined)
})
