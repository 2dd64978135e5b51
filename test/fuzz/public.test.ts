import t from 'tap'
import { publicTargets } from './public-targets.js'
import { fuzzSetup, fuzzSuite } from './setup.js'

// Every public input (intake JSON, the form, the status lookup, login): never a 5xx, never a
// request written in part, never an unhandled rejection. FUZZ_SCALE=10 runs ten times as many.
const { app, seeded, rejections } = await fuzzSetup(t)
fuzzSuite(t, app, await publicTargets(app, seeded), rejections)
