// `npm start`: the API and the workers as two processes of this one command. In production run
// them apart (`node dist/src/server.js`, `node dist/workers/main.js`), any number of each.
import { spawn } from 'node:child_process'

const children = ['dist/src/server.js', 'dist/workers/main.js'].map((entry) =>
  spawn(process.execPath, [entry], { stdio: 'inherit' }),
)
let exiting = false

function stopAll(signal) {
  exiting = true
  for (const child of children) if (child.exitCode === null) child.kill(signal)
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(signal))
for (const child of children) {
  child.on('exit', (code) => {
    // One gone means the service is not whole: stop the other and report the first failure.
    if (!exiting) {
      process.exitCode = code ?? 1
      stopAll('SIGTERM')
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(process.exitCode ?? 0)
  })
}
