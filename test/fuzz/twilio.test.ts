import t from 'tap'
import { fuzzSetup, fuzzSuite } from './setup.js'
import { twilioTargets } from './twilio-targets.js'

// Signed Twilio webhooks with garbage past the signature: never a 5xx (Twilio would retry it),
// never a request written in part, never an unhandled rejection.
const { app, config, seeded, rejections } = await fuzzSetup(t)
fuzzSuite(t, app, twilioTargets(app, config, seeded), rejections)
