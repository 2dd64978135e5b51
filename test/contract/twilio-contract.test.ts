import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Job } from 'bullmq'
import { pino } from 'pino'
import t from 'tap'
import type { NotifyJob } from '../../src/queues/notify.js'
import { deleteDueRecordings } from '../../src/services/voice-recordings.js'
import { createTwilioClient } from '../../src/twilio/client.js'
import { createNotifyProcessor } from '../../workers/notify.js'
import { build, requestBody } from '../helper.js'

// Twilio's own OpenAPI description (MIT, copied from ../shared/contracts with its licence) served
// by Stoplight Prism: every request the service really sends is checked against it. Prism runs
// without --errors and the check reads its validator lines, because of one known false alarm:
// Prism reads a repeated form key (StatusCallbackEvent=initiated&StatusCallbackEvent=ringing, the
// encoding the description's default `style: form, explode: true` prescribes and the twilio
// library sends) as a single string, and reports "must be array".
const PRISM_FALSE_ALARMS = [/Request body property StatusCallbackEvent must be array/]
const SPEC = fileURLToPath(new URL('../fixtures/twilio/twilio_api_v2010.json', import.meta.url))
const PRISM = fileURLToPath(new URL('../../node_modules/.bin/prism', import.meta.url))

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

if (!existsSync(PRISM)) {
  t.test('Twilio contract', { skip: 'Stoplight Prism is not installed (npm ci installs it as a dev dependency)' }, async () => {})
} else {
  t.test("the service's SMS, call and recording requests satisfy Twilio's API description", async (t) => {
    const port = await freePort()
    const prism: ChildProcess = spawn(PRISM, ['mock', '-h', '127.0.0.1', '-p', String(port), SPEC], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    prism.stdout?.on('data', (d) => {
      output += d
    })
    prism.stderr?.on('data', (d) => {
      output += d
    })
    t.teardown(() => {
      prism.kill('SIGKILL')
    })
    const base = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 60_000
    while (!/Prism is listening/.test(output)) {
      if (Date.now() > deadline || prism.exitCode !== null) throw new Error(`Prism did not start: ${output.slice(-500)}`)
      await new Promise((r) => setTimeout(r, 100))
    }

    const { app, config } = await build(t, {
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
      TWILIO_BASE_URL: base,
      TWILIO_FROM: '+15005550006',
      PUBLIC_BASE_URL: 'https://bailanys.example.org',
    })
    const process = createNotifyProcessor({
      config,
      db: app.db,
      twilio: createTwilioClient(config),
      log: pino({ level: 'silent' }),
    })
    for (const notifyVia of ['sms', 'voice'] as const) {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/requests',
        payload: requestBody({ requester: { notifyVia } }),
      })
      const { rows } = await app.db.query(
        'SELECT n.id::text FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1',
        [created.json().reference],
      )
      const sid = await process({ data: { notificationId: rows[0].id } } as Job<NotifyJob>).catch((err: Error) => err.message)
      if (notifyVia === 'sms') t.match(sid, /^SM/, 'sms: accepted by the mock')
      else t.match(sid, /^(CA|Twilio refused: 422)/, 'voice: accepted, or refused only for the false alarm (checked below)')
    }
    // With a Messaging Service as the sender instead of a number. (The mock answers every message
    // with the same example SID, which the first one already holds.)
    await app.db.query('UPDATE notifications SET twilio_sid = NULL')
    const viaService = { ...config, TWILIO_FROM: `MG${'b'.repeat(32)}` }
    const serviceProcess = createNotifyProcessor({
      config: viaService,
      db: app.db,
      twilio: createTwilioClient(config),
      log: pino({ level: 'silent' }),
    })
    const created = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
    const { rows } = await app.db.query(
      'SELECT n.id::text FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1',
      [created.json().reference],
    )
    t.match(
      await serviceProcess({ data: { notificationId: rows[0].id } } as Job<NotifyJob>),
      /^SM/,
      'messaging service: accepted',
    )

    // The retention purge deletes a voice recording at Twilio: DELETE …/Recordings/RE….json.
    const { rows: purged } = await app.db.query('UPDATE requests SET purged_at = now() WHERE reference = $1 RETURNING id::text', [
      created.json().reference,
    ])
    await app.db.query(`INSERT INTO voice_recordings (call_sid, kind, recording_sid, request_id) VALUES ($1, 'name', $2, $3)`, [
      `CA${'c'.repeat(32)}`,
      `RE${'d'.repeat(32)}`,
      purged[0].id,
    ])
    const twilio = createTwilioClient(config)
    t.equal(
      await deleteDueRecordings({ db: app.db, twilio, log: pino({ level: 'silent' }) }),
      1,
      'recording: deleted at the mock',
    )

    const violations = () =>
      output
        .split('\n')
        .filter((line) => line.includes('[VALIDATOR] ✖'))
        .filter((line) => !PRISM_FALSE_ALARMS.some((alarm) => alarm.test(line)))
    t.same(violations(), [], 'no request was rejected by the description')

    // The check can fail: a message without To is what the description rejects.
    const auth = `Basic ${Buffer.from(`${config.TWILIO_ACCOUNT_SID}:${config.TWILIO_AUTH_TOKEN}`).toString('base64')}`
    const bad = await fetch(`${base}/2010-04-01/Accounts/${config.TWILIO_ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ From: '+15005550006', Body: 'x' }).toString(),
    })
    t.ok(bad.status < 500, 'the mock answered')
    await new Promise((r) => setTimeout(r, 200))
    t.match(violations().join('\n'), /To/, 'a request without To is reported: the check can fail')
  })
}
