import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { formatTime, zoneLabel } from '../../src/domain/time.js'

t.test('one zone, named, in every language', async (t) => {
  const at = new Date('2026-01-05T09:20:00Z')
  t.equal(zoneLabel(at, 'Asia/Almaty'), 'UTC+5')
  t.equal(zoneLabel(at, 'UTC'), 'UTC+0')
  t.equal(zoneLabel(at, 'Asia/Kolkata'), 'UTC+5:30')
  for (const language of ['kk', 'ru', 'en'] as const) {
    t.equal(formatTime(at, { language, timeZone: 'Asia/Almaty', style: 'time' }), '14:20 (UTC+5)', language)
    t.match(formatTime(at, { language, timeZone: 'Asia/Almaty' }), /5.*14:20 \(UTC\+5\)$/, `${language} with the date`)
  }
  t.equal(formatTime(at.toISOString(), { language: 'en', timeZone: 'UTC', style: 'time' }), '09:20 (UTC+0)')
})

t.test('TIME_ZONE is an IANA zone, Asia/Almaty by default', async (t) => {
  t.equal(loadConfig({}).TIME_ZONE, 'Asia/Almaty')
  t.equal(loadConfig({ TIME_ZONE: 'Europe/Moscow' }).TIME_ZONE, 'Europe/Moscow')
  t.throws(() => loadConfig({ TIME_ZONE: 'Mars/Olympus' }), { name: 'ConfigError', message: /TIME_ZONE/ })
})
