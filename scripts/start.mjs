// `npm start`: the API and the workers as two processes of this one command. In production run
// them apart (`node dist/src/server.js`, `node dist/workers/main.js`), any number of each.
// Demo mode: with no Twilio credentials (TWILIO_ACCOUNT_SID unset or the fake default) and no
// TWILIO_BASE_URL, a local fake Twilio starts too and the twilio library is pointed at it, so the
// whole service runs on a fresh machine without sending anything anywhere. Its phone simulator
// (/demo/phone) shows every SMS and call and texts the service as a phone would.
// Ctrl-C (or SIGTERM to this process or its group) stops everything once, after draining: see
// supervise.mjs for why the children run in their own process groups.
import { supervise } from './supervise.mjs'

const env = { ...process.env }
const entries = ['dist/src/server.js', 'dist/workers/main.js']
const fakeCredentials = !env.TWILIO_ACCOUNT_SID || /^AC0{32}$/.test(env.TWILIO_ACCOUNT_SID)
if (fakeCredentials && !env.TWILIO_BASE_URL) {
  const port = env.FAKE_TWILIO_PORT || '3099'
  env.FAKE_TWILIO_PORT = port
  env.TWILIO_BASE_URL = `http://127.0.0.1:${port}`
  entries.push('dist/dev/fake-twilio/main.js')
  console.log(`demo mode: no Twilio credentials, so SMS and calls go to a fake Twilio at ${env.TWILIO_BASE_URL}`)
  console.log(`demo mode: see them, and text the service as a phone would, at ${env.TWILIO_BASE_URL}/demo/phone`)
}

supervise(entries, { env })
