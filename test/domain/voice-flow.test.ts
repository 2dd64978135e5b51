import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { KZ_CITIES } from '../../src/domain/kz-cities.js'
import { CATALOGUE, type MessageKey, message } from '../../src/domain/messages/index.js'
import { LANGUAGES, REQUEST_STATES } from '../../src/domain/request-states.js'
import {
  advance,
  callerNumber,
  MENU_CITIES,
  startCall,
  type VoiceCall,
  type VoiceInput,
  type VoiceStep,
} from '../../src/domain/voice-flow.js'
import { charKey, promptFor, SPELLABLE, type Speech } from '../../src/domain/voice-prompts.js'
import { PROJECT_ROOT } from '../../src/paths.js'
import { audioFiles, KAZAKH_AUDIO_DIR } from '../../src/services/voice-audio.js'

const keys = (digits: string): VoiceInput => ({ kind: 'digits', digits })
const silence: VoiceInput = { kind: 'silence' }
const recording: VoiceInput = { kind: 'recording' }
const MOBILE = '+77015550101'

const at = (step: VoiceStep, more: Partial<VoiceCall> = {}): VoiceCall => ({
  ...startCall(MOBILE, { language: 'ru', hasRequests: false }),
  step,
  ...more,
})

t.test('caller ID: a number, or withheld', async (t) => {
  t.same(callerNumber('+77015550101'), { e164: '+77015550101', canSms: true })
  t.same(callerNumber('+77272501234'), { e164: '+77272501234', canSms: false }, 'an Almaty landline cannot get an SMS')
  for (const withheld of ['anonymous', 'Anonymous', '+266696687', '', 'restricted', 'client:alice', '12345'])
    t.equal(callerNumber(withheld), null, `"${withheld}" is withheld`)
})

t.test('a call starts at the language menu, or at the main menu in a remembered language', async (t) => {
  t.match(startCall(MOBILE, { hasRequests: true }), { step: 'language', language: null, hasRequests: true })
  t.match(startCall(MOBILE, { language: 'kk', hasRequests: false }), { step: 'menu', language: 'kk' })
  t.match(startCall('anonymous', { hasRequests: true }), { callerPhone: null, hasRequests: false }, 'no status without caller ID')
})

t.test('each step: its answer, and where it leads', async (t) => {
  const cases: [string, VoiceCall, VoiceInput, Partial<VoiceCall>, string[]][] = [
    ['language 1', at('language', { language: null }), keys('1'), { step: 'phone', language: 'kk' }, ['rememberLanguage']],
    [
      'language 3, with requests',
      at('language', { hasRequests: true }),
      keys('3'),
      { step: 'menu', language: 'en' },
      ['rememberLanguage'],
    ],
    ['language, withheld', at('language', { callerPhone: null }), keys('2'), { step: 'callback' }, ['rememberLanguage']],
    ['menu 1', at('menu'), keys('1'), { step: 'phone' }, []],
    ['menu 9', at('menu'), keys('9'), { step: 'language' }, []],
    [
      'callback',
      at('callback', { callerPhone: null }),
      keys('87017770000#'),
      { step: 'callbackConfirm', entered: '87017770000' },
      [],
    ],
    [
      'callback confirmed',
      at('callbackConfirm', { callerPhone: null, entered: '87017770000' }),
      keys('1'),
      { step: 'phone', callerPhone: '+77017770000', callerCanSms: true, entered: null },
      [],
    ],
    ['phone', at('phone'), keys('87015551234'), { step: 'phoneConfirm', entered: '87015551234' }, []],
    ['phone again', at('phoneConfirm', { entered: '87015551234' }), keys('2'), { step: 'phone', entered: null }, []],
    [
      'phone confirmed',
      at('phoneConfirm', { entered: '87015551234' }),
      keys('1'),
      { step: 'place', relativePhone: '+77015551234' },
      [],
    ],
    ['place 1', at('place'), keys('1'), { step: 'name', placeId: 'almaty' }, ['createRequest']],
    ['place 8', at('place'), keys('8'), { step: 'name', placeId: 'pavlodar' }, ['createRequest']],
    ['place 9', at('place'), keys('9'), { step: 'placeRecord' }, []],
    ['place recorded', at('placeRecord'), recording, { step: 'name' }, ['saveRecording', 'createRequest']],
    ['name recorded', at('name'), recording, { step: 'needs' }, ['saveRecording']],
    ['needs 1 2', at('needs'), keys('12'), { step: 'done' }, ['addFlags']],
    ['needs none (#)', at('needs'), keys(''), { step: 'done' }, []],
    ['needs none (0)', at('needs'), keys('0#'), { step: 'done' }, []],
    ['needs silence', at('needs'), silence, { step: 'done' }, []],
  ]
  for (const [name, call, input, want, effects] of cases) {
    const turn = advance(call, input)
    t.match(turn.call, { ...want, retries: 0 }, name)
    t.same(
      turn.effects.map((e) => e.kind),
      effects,
      `${name}: effects`,
    )
  }
  const flags = advance(at('needs'), keys('24')).effects[0]
  t.same(flags, { kind: 'addFlags', flags: { elderly: false, medical: true, children: false, disability: true } })
})

t.test('silence and wrong keys are asked again twice, then the call ends (or skips an optional step)', async (t) => {
  const misses: [VoiceStep, VoiceInput, VoiceStep, string][] = [
    ['language', keys('7'), 'gaveUp', 'notUnderstood'],
    ['menu', keys('0'), 'gaveUp', 'notUnderstood'], // no requests: 0 is not offered
    ['phone', keys('123'), 'gaveUp', 'badPhone'],
    ['phone', silence, 'gaveUp', 'notUnderstood'],
    ['phoneConfirm', keys('5'), 'gaveUp', 'notUnderstood'],
    ['place', keys('0'), 'gaveUp', 'notUnderstood'],
    ['placeRecord', silence, 'gaveUp', 'notUnderstood'],
    ['name', silence, 'needs', 'notUnderstood'],
    ['needs', keys('5'), 'done', 'notUnderstood'],
  ]
  for (const [step, input, end, notice] of misses) {
    let call = at(step, { entered: step === 'phoneConfirm' ? '87015551234' : null })
    for (const retries of [1, 2]) {
      const turn = advance(call, input)
      t.match(turn, { call: { step, retries }, notice }, `${step}: miss ${retries} asks again`)
      call = turn.call
    }
    const last = advance(call, input)
    t.match(last, { call: { step: end, retries: 0 }, effects: [] }, `${step}: a third miss goes to ${end}`)
    t.equal(last.notice, undefined)
  }
})

t.test('the status line is offered only to callers with requests', async (t) => {
  t.match(advance(at('menu', { hasRequests: true }), keys('0')), { call: { step: 'menu' }, notice: 'status' })
  t.same(promptFor(at('menu', { hasRequests: true })).speech, [{ key: 'voice.menu' }, { key: 'voice.menuStatus' }])
  t.same(promptFor(at('menu')).speech, [{ key: 'voice.menu' }])
  const status = promptFor(at('menu', { hasRequests: true }), {
    notice: 'status',
    statuses: [{ reference: 'K7QM4XTR', status: 'reached_safe', message: 'Мама дома' }],
  }).speech
  t.same(status.slice(0, 7), [
    { key: 'voice.statusItem' },
    { spell: 'K7QM' },
    { pause: 1 },
    { spell: '4XTR' },
    { key: 'voice.state.reached_safe' },
    { key: 'voice.volunteerMessage' },
    { say: 'Мама дома' },
  ])
})

t.test('the reference is read twice, with the SMS mentioned only when one is sent', async (t) => {
  const speech = (smsSent: boolean) => promptFor(at('done'), { reference: { code: 'K7QM4XTR', existed: false, smsSent } })
  const spelled = (s: Speech[]) => s.filter((p) => 'spell' in p).map((p) => (p as { spell: string }).spell)
  t.same(spelled(speech(true).speech), ['K7QM', '4XTR', 'K7QM', '4XTR'])
  t.ok(speech(true).speech.some((s) => 'key' in s && s.key === 'voice.smsSent'))
  t.notOk(speech(false).speech.some((s) => 'key' in s && s.key === 'voice.smsSent'))
  t.same(speech(true).listen, { kind: 'hangup' })
  t.same(promptFor(at('placeRecord')).listen, { kind: 'record', maxLength: 30 })
})

t.test('the place menu names the menu cities, in order, in every language', async (t) => {
  t.same(
    MENU_CITIES.filter((id) => KZ_CITIES.some((c) => c.id === id)),
    MENU_CITIES,
    'every menu city is a known city',
  )
  for (const language of LANGUAGES) {
    const text = message(language, 'voice.place')
    const positions = MENU_CITIES.map((id) => text.indexOf(KZ_CITIES.find((c) => c.id === id)?.[language] ?? '?'))
    t.ok(
      positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] as number))),
      `${language}: ${positions.join(', ')}`,
    )
  }
})

t.test('every voice text is fixed (no placeholders) and every spoken piece has a key', async (t) => {
  const voiceKeys = Object.keys(CATALOGUE.en).filter((k) => k.startsWith('voice.')) as MessageKey[]
  for (const key of voiceKeys) t.notMatch(CATALOGUE.kk[key], /[{}]/, `${key} has no placeholder: its Kazakh text is a recording`)
  for (const ch of SPELLABLE) t.ok(voiceKeys.includes(charKey(ch)), `${ch} can be spelled`)
  for (const state of REQUEST_STATES) t.ok(voiceKeys.includes(`voice.state.${state}` as MessageKey), `state ${state} is spoken`)
})

t.test('every voice.* kk key has its recording, and every recording its key', async (t) => {
  const files = audioFiles()
  const voiceKeys = Object.keys(CATALOGUE.kk).filter((k) => k.startsWith('voice.'))
  for (const key of voiceKeys) t.ok(files.has(key), `${key} has a recording`)
  t.same(
    [...files.keys()].filter((k) => !voiceKeys.includes(k)),
    [],
    'no recording without a key',
  )
})

t.test('a synthesised recording says the current text (else: bash scripts/voice-prompts.sh)', async (t) => {
  const hash = (data: string | Buffer) => createHash('sha256').update(data).digest('hex').slice(0, 16)
  const manifest = readFileSync(join(PROJECT_ROOT, 'scripts', 'voice-prompts.tsv'), 'utf8')
    .trim()
    .split('\n')
  let ours = 0
  for (const [key, file] of audioFiles()) {
    const [, textHash, fileHash] = manifest.find((line) => line.startsWith(`${key}\t`))?.split('\t') ?? []
    // A file the script did not make (a human recording) is not checked against the text.
    if (fileHash !== hash(readFileSync(join(KAZAKH_AUDIO_DIR, file)))) continue
    ours++
    t.equal(textHash, hash(CATALOGUE.kk[key as MessageKey]), `${key}: made from today's text`)
  }
  t.ok(ours > 0, `${ours} synthesised files checked`)
})
