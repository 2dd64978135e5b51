// `npm start`: the API and the workers as two processes of this one command. In production run
// them apart (`node dist/src/server.js`, `node dist/workers/main.js`), any number of each.
// Demo mode: with no Twilio credentials (TWILIO_ACCOUNT_SID unset or the fake default) and no
// TWILIO_BASE_URL, a local fake Twilio starts too and the twilio library is pointed at it, so the
// whole service runs on a fresh machine without sending anything anywhere.
import { spawn } from 'node:child_process'

const env = { ...process.env }
const entries = ['dist/src/server.js', 'dist/workers/main.js']
const fakeCredentials = !env.TWILIO_ACCOUNT_SID || /^AC0{32}$/.test(env.TWILIO_ACCOUNT_SID)
if (fakeCredentials && !env.TWILIO_BASE_URL) {
  const port = env.FAKE_TWILIO_PORT || '3099'
  env.FAKE_TWILIO_PORT = port
  env.TWILIO_BASE_URL = `http://127.0.0.1:${port}`
  entries.push('dist/dev/fake-twilio/main.js')
  console.log(`demo mode: no Twilio credentials, so SMS and calls go to a fake Twilio at ${env.TWILIO_BASE_URL}`)
}

const children = entries.map((entry) => spawn(process.execPath, [entry], { stdio: 'inherit', env }))
let exiting = false

function stopAll(signal) {
  exiting = true
  for (const child of children) if (child.exitCode === null) child.kill(signal)
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal))
for (const child of children) {
  child.on('exit', (code) => {
    // One gone means the service is not whole: stop the others and report the first failure.
    if (!exiting) {
      process.exitCode = code ?? 1
      stopAll('SIGTERM')
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(process.exitCode ?? 0)
  })
}
