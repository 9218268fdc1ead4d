// A call's deadline: one timer that ends the call's requests still in flight.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Deadline } from '../../clients/deadline.js'

t.test('requests in flight when the deadline passes are ended; settled ones are not', async t => {
  const deadline = new Deadline(Date.now() + 30)
  const ended: string[] = []
  const settled = deadline.watch(() => ended.push('settled before'))
  deadline.watch(() => ended.push('in flight'))
  settled()
  t.notOk(deadline.passed)
  await sleep(60)
  t.ok(deadline.passed)
  t.same(ended, ['in flight'])
})

t.test('a request watched after the deadline passed is ended at once, after the caller returns', async t => {
  const deadline = new Deadline(Date.now())
  await sleep(10)
  let ended = false
  const settled = deadline.watch(() => { ended = true })
  t.notOk(ended, 'not while the caller is still setting the request up')
  await Promise.resolve()
  t.ok(ended)
  settled()
})

t.test('a cleared deadline never passes', async t => {
  const deadline = new Deadline(Date.now() + 10)
  let ended = false
  deadline.watch(() => { ended = true })
  deadline.clear()
  await sleep(30)
  t.notOk(deadline.passed)
  t.notOk(ended)
})
