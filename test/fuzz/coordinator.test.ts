import t from 'tap'
import { coordinatorTargets } from './coordinator-targets.js'
import { fuzzSetup, fuzzSuite } from './setup.js'

// A coordinator's query strings and path parameters (API and dashboard pages) and their writes:
// never a 5xx, never a request written in part, never an unhandled rejection.
const { app, session, seeded, rejections } = await fuzzSetup(t)
fuzzSuite(t, app, coordinatorTargets(app, session, seeded), rejections)
