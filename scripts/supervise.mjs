// Runs several Node processes as one service and stops them together: `npm start` (start.mjs)
// uses it for the API, the workers and the demo's fake Twilio.
import { spawn } from 'node:child_process'

/** Signals that stop the service; a closed terminal (SIGHUP) stops it cleanly like SIGTERM. */
const STOPS = { SIGINT: 'SIGINT', SIGTERM: 'SIGTERM', SIGHUP: 'SIGTERM' }

/**
 * Starts `node <entry>` for each entry and stops every child with exactly one signal.
 *
 * Each child runs in its own process group (`detached`). Why: a Ctrl-C in the terminal, or a
 * supervisor's SIGTERM to our process group, would otherwise reach every child twice — straight
 * from the terminal and again forwarded by us — and the children treat a second signal as "stop
 * now" (close-with-grace: "second SIGTERM, exiting") and quit without draining. Only this process
 * is in the caller's group; it forwards the first stop signal once and ignores repeats (npm, for
 * one, forwards the terminal's signal to us a second time), then waits for every child to drain
 * (their own close-with-grace delay bounds that). A child that exits by itself stops the others:
 * the service is not whole without it. Exits with the first non-zero child exit code, else 0.
 *
 * @param {string[]} entries scripts to run with this Node
 * @param {{ env?: NodeJS.ProcessEnv, log?: (line: string) => void }} [options] defaults: this process's environment, console.log
 */
export function supervise(entries, { env = process.env, log = console.log } = {}) {
  // No stdin: a child outside the terminal's foreground group must never read from it.
  const children = entries.map((entry) =>
    spawn(process.execPath, [entry], { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true }),
  )
  let stopping = false
  let failure = 0

  function stopAll(signal) {
    if (stopping) return
    stopping = true
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }

  for (const [signal, forwarded] of Object.entries(STOPS)) {
    process.on(signal, () => {
      if (stopping) log(`start: ${signal} again, still waiting for the processes to finish their work`)
      else log(`start: ${signal}, stopping (each process finishes its work first)`)
      stopAll(forwarded)
    })
  }
  children.forEach((child, i) => {
    child.on('exit', (code, signal) => {
      const failed = code !== 0 && !(stopping && signal !== null)
      if (failed && failure === 0) failure = code ?? 1
      if (!stopping) {
        log(`start: ${entries[i]} exited (${code ?? signal}), stopping the others`)
        stopAll('SIGTERM')
      }
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(failure)
    })
  })
  return children
}
