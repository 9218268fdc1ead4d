// Contract §3.2: an answer that cannot fit ANSWER_MAX_BYTES is never written whole. observeBundle
// stops as soon as what it wrote passes the room it was given, and answers undefined.
import t from 'tap'
import { keptBytes } from '../../../lib/ctim/observe-bytes.js'
import { observeBundle, type ReadRecords } from '../../../lib/ctim/bundle.js'
import { readRecords } from '../../../lib/c1fapp/record.js'
import { domain, JUDGING, record } from '../../support/records.js'

const read = (records: unknown[], kept = false): ReadRecords[] => [{ observable: domain, records: readRecords(records, kept).records, kept }]

t.test('a bundle is written when it fits its room to the byte, and not otherwise', async t => {
  const records = [record(), record({ feed_label: ['OpenPhish'], reportime: ['2020-04-11'] })]
  const whole = observeBundle(read(records), 100, JUDGING)!
  const size = whole.length
  t.equal(observeBundle(read(records), 100, JUDGING, size)?.length, size, 'exactly its size fits')
  t.equal(observeBundle(read(records), 100, JUDGING, size - 1), undefined, 'a byte less does not, though every entity does')
})

t.test('writing stops at the sighting, the judgement or the indicator that passes the room', async t => {
  const before = keptBytes()
  t.equal(observeBundle(read(Array.from({ length: 50 }, () => record())), 100, JUDGING, 5000), undefined, 'sightings past the room')
  t.equal(observeBundle(read([record({ assessment: ['\u0001'.repeat(1000)] })]), 100, JUDGING, 2000), undefined, 'a judgement whose reason is 6 KB of escapes past the room')
  const tags = Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(1000, 'x'))
  t.equal(observeBundle(read([record({ assessment: tags })]), 100, JUDGING, 10_000), undefined, 'an indicator of 32 long tags past the room')
  t.equal(keptBytes(), before, 'nothing was lent for them')
})

t.test('kept records: sightings that do not fit are not remembered; remembered ones are measured too', async t => {
  const kept = read(Array.from({ length: 50 }, () => record()), true)
  t.equal(observeBundle(kept, 100, JUDGING, 5000), undefined, 'written for the room, past it')
  const all = observeBundle(kept, 100, JUDGING)!
  t.ok(all.length > 5000, `${all.length} bytes`)
  t.equal(observeBundle(kept, 100, JUDGING, 5000), undefined, 'the remembered sightings are past the room too')
  t.equal(observeBundle(kept, 1, JUDGING, 5000)?.length, observeBundle(kept, 1, JUDGING)?.length, 'one sighting fits')
})
