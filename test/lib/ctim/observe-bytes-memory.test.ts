// The memory observe answers are written into (lib/ctim/observe-bytes.ts): lent per answer, given back once it is sent.
import t from 'tap'
import { answerSent, KEPT_BYTES, keptBytes, lend, LENT_FROM } from '../../../lib/ctim/observe-bytes.js'

t.test('an answer given back lends its memory to the next answer that fits in it', async t => {
  const first = lend(100_000)
  t.equal(first.length, 100_000)
  t.equal(first.buffer.byteLength, 131_072, 'a power of two')
  t.equal(keptBytes(), 0)
  answerSent(first.subarray(8))
  t.equal(keptBytes(), 131_072, 'any view of the memory gives it back')
  const second = lend(120_000)
  t.equal(second.buffer, first.buffer, 'the same memory')
  t.equal(second.length, 120_000)
  t.equal(keptBytes(), 0)
  const third = lend(100_000)
  t.not(third.buffer, first.buffer, 'memory lent is not lent twice')
  answerSent(second)
  answerSent(second)
  t.equal(keptBytes(), 131_072, 'given back twice counts once')
  answerSent(third)
})

t.test('the smallest free memory that fits is lent', async t => {
  // larger than what the test before left free
  const [small, large] = [lend(300_000), lend(3_000_000)]
  answerSent(large)
  answerSent(small)
  const kept = keptBytes()
  t.equal(lend(400_000).buffer, small.buffer, '512 KB for 400 KB, not the 4 MB')
  t.equal(lend(600_000).buffer, large.buffer, 'the 4 MB for 600 KB: nothing smaller is free')
  t.equal(keptBytes(), kept - 524_288 - 4_194_304)
})

t.test('small answers are not lent, and what is not lent is never kept', async t => {
  const kept = keptBytes()
  const small = lend(LENT_FROM - 1)
  t.equal(small.length, LENT_FROM - 1)
  answerSent(small)
  answerSent(Buffer.alloc(LENT_FROM * 4))
  t.equal(keptBytes(), kept)
})

t.test(`at most ${KEPT_BYTES} bytes wait to be lent again`, async t => {
  const lent = Array.from({ length: KEPT_BYTES / (2 * 1024 * 1024) + 1 }, () => lend(2 * 1024 * 1024))
  for (const bytes of lent) answerSent(bytes)
  t.ok(keptBytes() <= KEPT_BYTES, `${keptBytes()} bytes kept`)
  t.ok(keptBytes() > KEPT_BYTES - 2 * 1024 * 1024, 'full: one more 2 MB would pass the limit, so it was let go')
})

t.test('memory past what is ever kept is lent as asked, not rounded up, and let go', async t => {
  const kept = keptBytes()
  const huge = lend(KEPT_BYTES + 1)
  t.equal(huge.buffer.byteLength, KEPT_BYTES + 1)
  answerSent(huge)
  t.equal(keptBytes(), kept)
})
