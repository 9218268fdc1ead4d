// Contract §3 Relations on the pure mapping: what each observable type relates, on the contract's sample record.
import t from 'tap'
import type { Observable } from '../../../lib/observables.js'
import { domain, ip, sightingOf, url } from '../../support/records.js'

t.test('domain relations', async t => {
  const relations = (fields: Record<string, unknown>) => sightingOf(t, domain, fields).relations.map(r => [r.source.value, r.relation, r.related.value])
  t.strictSame(relations({ ip_address: ['1.1.1.1', '', '2.2.2.2', '1.1.1.1'] }), [
    ['https://onedrive.live.com/?authkey=%21AG7', 'Contains', 'onedrive.live.com'],
    ['onedrive.live.com', 'Resolved_To', '1.1.1.1'],
    ['onedrive.live.com', 'Resolved_To', '2.2.2.2']
  ], 'empty IPs skipped, none twice')
  t.strictSame(relations({ domain: ['ONEDRIVE.live.com'], ip_address: [] }), [['https://onedrive.live.com/?authkey=%21AG7', 'Contains', 'onedrive.live.com']], 'domains compare without case')
  t.strictSame(relations({ domain: ['other.com'], ip_address: [] }), [], 'domain[0] is not the observable')
  t.strictSame(relations({ address: ['onedrive.live.com/path'], ip_address: [] }), [], 'address[0] is not an http(s) URL')
  t.strictSame(relations({ address: ['ftp://onedrive.live.com/'], ip_address: [] }), [], 'address[0] is not http(s)')
  t.strictSame(relations({ address: [5], ip_address: [] }), [], 'address[0] not a string')
  t.strictSame(relations({ domain: undefined, ip_address: undefined, address: undefined }), [], 'missing fields give no relations')
})

t.test('ip relations', async t => {
  const relations = (fields: Record<string, unknown>) => sightingOf(t, ip, fields).relations.map(r => [r.source.type, r.source.value, r.relation, r.related.type, r.related.value])
  t.strictSame(relations({ domain: ['a.example', '', '13.107.42.13', 'b.example', 'A.example'] }), [
    ['domain', 'a.example', 'Resolved_To', 'ip', '13.107.42.13'],
    ['domain', 'b.example', 'Resolved_To', 'ip', '13.107.42.13']
  ], 'empty, the observable itself and repeats skipped')
  t.strictSame(relations({ domain: undefined }), [])
})

t.test('url relations', async t => {
  const relations = (observable: Observable, fields: Record<string, unknown>) =>
    sightingOf(t, observable, fields).relations.map(r => [r.source.value, r.relation, r.related.type, r.related.value])
  const deep: Observable = { type: 'url', value: 'http://login.secure.Example.co.uk:8080/a?b=c' }
  t.strictSame(relations(deep, {
    address: ['http://login.secure.example.co.uk/a'],
    ip_address: ['198.51.100.7', '', '198.51.100.7'],
    domain: ['login.secure.example.co.uk', 'secure.example.co.uk', 'example.co.uk', 'co.uk', 'uk', 'other.example', 'xample.co.uk', '']
  }), [
    [deep.value, 'Hosted_By', 'ip', '198.51.100.7'],
    [deep.value, 'Contains', 'domain', 'login.secure.example.co.uk'],
    [deep.value, 'Contains', 'domain', 'secure.example.co.uk'],
    [deep.value, 'Contains', 'domain', 'example.co.uk'],
    [deep.value, 'Contains', 'domain', 'co.uk']
  ], 'host and parents that hold a dot; never a bare TLD or an unrelated domain')
  t.strictSame(relations(url, { address: ['not a url'] }), [], 'no relations unless address[0] is an http(s) URL')
  const odd: Observable = { type: 'url', value: 'ftp://onedrive.live.com/other-scheme' }
  t.strictSame(relations(odd, {}), [[odd.value, 'Hosted_By', 'ip', '13.107.42.13']], 'an observable that is no http(s) URL has no host to contain')
})
