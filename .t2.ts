import { readMessage } from './src/domain/sms-reading.js'
import { readFileSync } from 'node:fs'
const msgs = readFileSync('/tmp/w/probe.txt', 'utf8').split('\n').filter(Boolean)
for (const m of msgs) { const r: Record<string, unknown> = { ...readMessage(m) }; const f = Object.entries(r.flags as object).filter(([,v])=>v).map(([k])=>k); delete r.flags; console.log(m, '\n   ', JSON.stringify(r), f.join(',')) }
