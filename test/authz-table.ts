import { BOARD_ROWS } from './authz-board.js'
import { requestBody, uniquePhone } from './helper.js'

/** Who asks. Each role but anonymous asks twice: with the session cookie and with a bearer token. */
export const ROLES = ['pending', 'approved', 'suspended', 'coordinator', 'partner', 'holder'] as const
export type Role = 'anonymous' | (typeof ROLES)[number]

/** A status, with the problem's `code` (JSON) or the redirect's target (pages) when there is one. */
export type Outcome = readonly [number, string?]
/** What a row's URLs and bodies point at: the holder's task, an open request nobody may claim, a volunteer. */
export type Ctx = { held: string; spare: { reference: string; phone: string }; target: string }

/**
 * Who may use a route, and so what the others get:
 * - public: everyone gets `ok` (intake, status, login, health, docs, assets, the requester's pages);
 * - session: any live session (401 without one); volunteer / coordinator: that role (403 for the other);
 * - twilio-signed: everyone gets 403 without X-Twilio-Signature, whatever their session; signed, `ok`;
 * - metrics-token: only METRICS_TOKEN opens it, never a session;
 * - coordinator-page / volunteer-page: the pages' answers (the way to the login page, or a 403 page).
 */
type Access =
  | 'public'
  | 'session'
  | 'volunteer'
  | 'coordinator'
  | 'twilio-signed'
  | 'metrics-token'
  | 'coordinator-page'
  | 'volunteer-page'
  | 'partner'
  | 'partner-page'

export type Row = {
  access: Access
  /** What the roles the access lets through get. */
  ok: Outcome | ((c: Ctx) => Outcome)
  /** Roles whose answer is the route's own (a 404 for a missing resource, a 409 without the lease). */
  as?: Partial<Record<Role, Outcome>>
  url?: (c: Ctx) => string
  body?: (c: Ctx) => object
  /** A page form, sent with a valid CSRF token. */
  form?: (c: Ctx) => Record<string, string>
  /** Twilio's form parameters. */
  twilio?: Record<string, string>
  /** The request ends the session it carries (logout): each principal sends a new one. */
  fresh?: true
  /** Server-Sent Events: the status is read from the headers, the stream dropped. */
  stream?: true
  note?: string
}

const UNAUTHENTICATED: Outcome = [401, 'APP_ERR_UNAUTHENTICATED']
const FORBIDDEN: Outcome = [403, 'APP_ERR_FORBIDDEN']
const NOT_APPROVED: Outcome = [403, 'APP_ERR_NOT_APPROVED']
const NO_LEASE: Outcome = [409, 'APP_ERR_NO_LEASE']
const MISSING = 'NOPE0000'
const MISSING_VOLUNTEER = '999999999'
const REQUEST_NOT_FOUND: Outcome = [404, 'APP_ERR_REQUEST_NOT_FOUND']

/** What `role` must get from `row`. */
export function expected(row: Row, role: Role, c: Ctx): Outcome {
  const own = row.as?.[role]
  if (own) return own
  const ok = typeof row.ok === 'function' ? row.ok(c) : row.ok
  const out = role === 'anonymous' || role === 'suspended'
  const volunteer = role === 'pending' || role === 'approved' || role === 'holder'
  // A partner's account works the partner API and page only: elsewhere it is refused like a volunteer.
  const partner = role === 'partner'
  switch (row.access) {
    case 'public':
      return ok
    case 'twilio-signed':
      return [403, 'APP_ERR_TWILIO_SIGNATURE']
    case 'metrics-token':
      return UNAUTHENTICATED
    case 'session':
      return out ? UNAUTHENTICATED : ok
    case 'volunteer':
      return out ? UNAUTHENTICATED : volunteer ? ok : FORBIDDEN
    case 'coordinator':
      return out ? UNAUTHENTICATED : volunteer || partner ? FORBIDDEN : ok
    case 'coordinator-page':
      return out ? [303, '/volunteer/login'] : volunteer || partner ? [303, '/volunteer'] : ok
    case 'volunteer-page':
      return out ? [303, '/volunteer/login'] : role === 'approved' || role === 'holder' ? ok : [403]
    case 'partner':
      return out ? UNAUTHENTICATED : partner ? ok : FORBIDDEN
    case 'partner-page':
      return out ? [303, '/volunteer/login'] : partner ? ok : [403]
  }
}

const held = (path: string) => (c: Ctx) => `/api/v1/tasks/${c.held}${path}`
const heldPage = (path: string) => (c: Ctx) => `/volunteer/task/${c.held}${path}`
const lease = (ok: Outcome | ((c: Ctx) => Outcome), more: Partial<Row> = {}): Row => ({
  access: 'volunteer',
  ok,
  as: { pending: NO_LEASE, approved: NO_LEASE },
  ...more,
})
const leasePage = (ok: (c: Ctx) => Outcome, more: Partial<Row> = {}): Row => ({
  access: 'volunteer-page',
  ok,
  as: { approved: [409] },
  form: () => ({}),
  ...more,
})
const missing = (action: string, more: Partial<Row> = {}): Row => ({
  access: 'coordinator',
  url: () => `/api/v1/requests/${MISSING}/${action}`,
  ok: REQUEST_NOT_FOUND,
  note: '(a missing request)',
  ...more,
})
const missingPage = (action: string, form: Record<string, string> = {}): Row => ({
  access: 'coordinator-page',
  url: () => `/coordinator/requests/${MISSING}/${action}`,
  form: () => form,
  ok: [303, `/coordinator/requests/${MISSING}?error=APP_ERR_REQUEST_NOT_FOUND`],
  note: '(a missing request)',
})
const REFERRAL_NOT_FOUND: Outcome = [404, 'APP_ERR_REFERRAL_NOT_FOUND']
const partnerMissing = (path: string, more: Partial<Row> = {}): Row => ({
  access: 'coordinator',
  url: () => `/api/v1/partners/${MISSING_VOLUNTEER}${path}`,
  ok: [404, 'APP_ERR_PARTNER_NOT_FOUND'],
  note: '(a missing partner)',
  ...more,
})
const referralMissing = (action: string, more: Partial<Row> = {}): Row => ({
  access: 'partner',
  url: () => `/api/v1/partner/referrals/${MISSING_VOLUNTEER}/${action}`,
  ok: REFERRAL_NOT_FOUND,
  note: '(not a case of this partner)',
  ...more,
})
const twilio = (url: string, params: Record<string, string>, ok: number): Row => ({
  access: 'twilio-signed',
  url: () => url,
  twilio: params,
  ok: [ok],
})
const intakeForm = () => ({
  requesterName: 'Айгуль',
  requesterPhone: uniquePhone(),
  language: 'en',
  notifyVia: 'sms',
  relativeName: 'Сауле Нурланова',
  relativePhone: uniquePhone(),
  city: 'Алматы',
  consent: 'true',
})

/** The table: one row (or several, by case) for every route the app registers. */
export const TABLE: Record<string, Row | Row[]> = {
  // Operators and the API's description.
  'GET /healthz': { access: 'public', ok: [200] },
  'GET /readyz': { access: 'public', ok: [200] },
  'GET /metrics': { access: 'metrics-token', ok: [200] },
  'GET /docs': { access: 'public', ok: [200] },
  'GET /docs/json': { access: 'public', ok: [200] },
  'GET /docs/yaml': { access: 'public', ok: [200] },
  'GET /docs/static/index.html': { access: 'public', ok: [302, '/docs/'] },
  'GET /docs/static/swagger-initializer.js': { access: 'public', ok: [200] },
  'GET /docs/static/*': { access: 'public', url: () => '/docs/static/swagger-ui.css', ok: [200] },
  'GET /assets/*': { access: 'public', url: () => '/assets/site.css', ok: [200] },

  // Requesters (the JSON API and the pages).
  'POST /api/v1/requests': { access: 'public', body: () => requestBody({ requester: { language: 'en' } }), ok: [201] },
  'GET /api/v1/requests/:reference': [
    {
      access: 'public',
      note: '?phone= (the requester)',
      url: (c) => `/api/v1/requests/${c.spare.reference}?phone=${encodeURIComponent(c.spare.phone)}`,
      ok: [200],
    },
    {
      access: 'coordinator',
      note: 'without phone (the full view)',
      url: (c) => `/api/v1/requests/${c.spare.reference}`,
      ok: [200],
      as: { anonymous: [400, 'APP_ERR_VALIDATION'] },
    },
  ],
  'GET /': { access: 'public', ok: [200] },
  'POST /': { access: 'public', form: intakeForm, ok: [201] },
  'GET /status': { access: 'public', ok: [200] },
  'POST /status': { access: 'public', form: (c) => ({ ref: c.spare.reference, phone: c.spare.phone }), ok: [200] },

  // Accounts.
  'POST /api/v1/auth/login': {
    access: 'public',
    body: () => ({ login: uniquePhone(), password: 'not the password' }),
    ok: [401, 'APP_ERR_BAD_CREDENTIALS'],
  },
  'POST /api/v1/auth/logout': { access: 'session', fresh: true, ok: [204] },
  'GET /api/v1/me': { access: 'session', ok: [200] },
  'GET /api/v1/volunteers': { access: 'coordinator', ok: [200] },
  'POST /api/v1/volunteers': {
    access: 'coordinator',
    body: () => ({ name: 'New One', phone: uniquePhone(), languages: ['en'], password: 'long enough pass' }),
    ok: [201],
  },
  'PATCH /api/v1/volunteers/:id': {
    access: 'coordinator',
    url: (c) => `/api/v1/volunteers/${c.target}`,
    body: () => ({ name: 'Target' }),
    ok: [200],
  },
  'POST /api/v1/volunteers/:id/approve': {
    access: 'coordinator',
    url: (c) => `/api/v1/volunteers/${c.target}/approve`,
    ok: [200],
  },
  'POST /api/v1/volunteers/:id/suspend': {
    access: 'coordinator',
    note: '(a missing volunteer)',
    url: () => `/api/v1/volunteers/${MISSING_VOLUNTEER}/suspend`,
    ok: [404, 'APP_ERR_ACCOUNT_NOT_FOUND'],
  },
  'POST /api/v1/volunteers/me/availability': {
    access: 'volunteer',
    body: () => ({ available: true }),
    ok: [200],
    as: { pending: NOT_APPROVED },
  },

  // The work queue: the lease decides.
  'POST /api/v1/tasks/claim': { access: 'volunteer', ok: [200], as: { pending: NOT_APPROVED, approved: [204] } },
  'GET /api/v1/tasks/:id': {
    access: 'volunteer',
    url: held(''),
    ok: [200],
    as: { pending: NOT_APPROVED, approved: [404, 'APP_ERR_TASK_NOT_FOUND'] },
  },
  'POST /api/v1/tasks/:id/heartbeat': lease([200], { url: held('/heartbeat') }),
  'POST /api/v1/tasks/:id/call': lease([202], { url: held('/call') }),
  'POST /api/v1/tasks/:id/release': lease([204], { url: held('/release') }),
  'POST /api/v1/tasks/:id/outcome': lease([200], { url: held('/outcome'), body: () => ({ outcome: 'reached_safe' }) }),
  'GET /api/v1/tasks/:id/recordings/:kind': {
    access: 'volunteer',
    note: '(a web request: nothing recorded)',
    url: held('/recordings/name'),
    ok: [404, 'APP_ERR_RECORDING_NOT_FOUND'],
    as: { pending: NOT_APPROVED, approved: [404, 'APP_ERR_TASK_NOT_FOUND'] },
  },
  'GET /volunteer': { access: 'volunteer-page', ok: [200], as: { pending: [200] } },
  'GET /volunteer/login': {
    access: 'public',
    ok: [200],
    as: {
      pending: [303, '/volunteer'],
      approved: [303, '/volunteer'],
      holder: [303, '/volunteer'],
      coordinator: [303, '/coordinator'],
      partner: [303, '/partner'],
    },
  },
  'POST /volunteer/login': { access: 'public', form: () => ({ login: uniquePhone(), password: 'not the password' }), ok: [401] },
  'POST /volunteer/logout': { access: 'public', fresh: true, form: () => ({}), ok: [303, '/volunteer/login?out=1'] },
  'POST /volunteer/availability': { access: 'volunteer-page', form: () => ({ available: 'true' }), ok: [303, '/volunteer'] },
  'POST /volunteer/claim': {
    access: 'volunteer-page',
    form: () => ({}),
    ok: (c) => [303, `/volunteer/task/${c.held}`],
    as: { approved: [303, '/volunteer?empty=1'] },
  },
  'GET /volunteer/task/:reference': {
    access: 'volunteer-page',
    url: heldPage(''),
    ok: [200],
    as: { pending: [200], approved: [404] },
  },
  'POST /volunteer/task/:reference/heartbeat': leasePage((c) => [303, `/volunteer/task/${c.held}?notice=extended`], {
    url: heldPage('/heartbeat'),
  }),
  'POST /volunteer/task/:reference/call': leasePage((c) => [303, `/volunteer/task/${c.held}?notice=calling`], {
    url: heldPage('/call'),
  }),
  'POST /volunteer/task/:reference/release': leasePage(() => [303, '/volunteer?done=released'], { url: heldPage('/release') }),
  'POST /volunteer/task/:reference/outcome': leasePage(() => [303, '/volunteer?done=reached_safe'], {
    url: heldPage('/outcome'),
    form: () => ({ outcome: 'reached_safe' }),
  }),

  // Coordinators.
  'GET /api/v1/backlog': { access: 'coordinator', ok: [200] },
  'GET /api/v1/backlog/stream': { access: 'coordinator', ok: [200], stream: true },
  'GET /api/v1/requests': { access: 'coordinator', ok: [200] },
  'GET /api/v1/requests/duplicates': { access: 'coordinator', ok: [200] },
  'POST /api/v1/requests/:id/priority': {
    access: 'coordinator',
    url: (c) => `/api/v1/requests/${c.spare.reference}/priority`,
    body: () => ({ priority: 2 }),
    ok: [200],
  },
  'POST /api/v1/requests/:id/cancel': missing('cancel', { body: () => ({ reason: 'x' }) }),
  'POST /api/v1/requests/:id/merge': missing('merge', { body: (c) => ({ into: c.spare.reference }) }),
  'POST /api/v1/requests/:id/requeue': missing('requeue'),
  'POST /api/v1/requests/:id/end-lease': missing('end-lease'),
  'GET /api/v1/export/requests.csv': { access: 'coordinator', ok: [200] },
  'GET /api/v1/export/pfif': { access: 'coordinator', ok: [200] },
  'GET /api/v1/export/referrals.csv': { access: 'coordinator', ok: [200] },
  'GET /coordinator': { access: 'coordinator-page', ok: [200] },
  'GET /coordinator/requests': { access: 'coordinator-page', ok: [200] },
  'GET /coordinator/requests/:ref': {
    access: 'coordinator-page',
    url: (c) => `/coordinator/requests/${c.spare.reference}`,
    ok: [200],
  },
  'GET /coordinator/duplicates': { access: 'coordinator-page', ok: [200] },
  'GET /coordinator/volunteers': { access: 'coordinator-page', ok: [200] },
  'POST /coordinator/requests/:ref/priority': missingPage('priority', { priority: '2' }),
  'POST /coordinator/requests/:ref/cancel': missingPage('cancel', { reason: 'x' }),
  'POST /coordinator/requests/:ref/merge': missingPage('merge', { into: MISSING }),
  'POST /coordinator/requests/:ref/requeue': missingPage('requeue'),
  'POST /coordinator/requests/:ref/end-lease': missingPage('end-lease'),
  'POST /coordinator/volunteers': {
    access: 'coordinator-page',
    note: '(an invalid form: the page again, errors at their fields)',
    form: () => ({}),
    ok: [400],
  },
  'GET /coordinator/volunteers/:id/suspend': {
    access: 'coordinator-page',
    url: (c) => `/coordinator/volunteers/${c.target}/suspend`,
    ok: [200],
  },
  'GET /coordinator/live/:part': { access: 'coordinator-page', url: () => '/coordinator/live/chart', ok: [200] },
  'POST /coordinator/volunteers/:id/:change': {
    access: 'coordinator-page',
    note: '(a missing volunteer)',
    url: () => `/coordinator/volunteers/${MISSING_VOLUNTEER}/approve`,
    form: () => ({}),
    ok: [303, '/coordinator/volunteers?error=APP_ERR_ACCOUNT_NOT_FOUND'],
  },
  ...BOARD_ROWS,

  // Partners (issue 14): coordinators run them; a partner sees only its own cases (404 for others').
  'GET /api/v1/partners': { access: 'coordinator', ok: [200] },
  'POST /api/v1/partners': {
    access: 'coordinator',
    body: () => ({ name: 'Authz group', categories: ['food'], languages: ['en'], intake: 'pages' }),
    ok: [201],
  },
  'PATCH /api/v1/partners/:id': partnerMissing('', { body: () => ({ active: true }) }),
  'POST /api/v1/partners/:id/accounts': partnerMissing('/accounts', {
    body: () => ({ name: 'Staff', phone: uniquePhone(), languages: ['en'], password: 'long enough pass' }),
  }),
  'GET /api/v1/partners/:id/keys': partnerMissing('/keys'),
  'POST /api/v1/partners/:id/keys': partnerMissing('/keys', { body: () => ({ label: 'x' }) }),
  'DELETE /api/v1/partners/:id/keys/:keyId': {
    access: 'coordinator',
    url: () => `/api/v1/partners/${MISSING_VOLUNTEER}/keys/${MISSING_VOLUNTEER}`,
    ok: [404, 'APP_ERR_PARTNER_KEY_NOT_FOUND'],
  },
  'GET /api/v1/referrals/:id/proposals': {
    access: 'coordinator',
    url: () => `/api/v1/referrals/${MISSING_VOLUNTEER}/proposals`,
    ok: REFERRAL_NOT_FOUND,
  },
  'POST /api/v1/referrals/:id/assign': {
    access: 'coordinator',
    url: () => `/api/v1/referrals/${MISSING_VOLUNTEER}/assign`,
    body: () => ({ partnerId: null }),
    ok: REFERRAL_NOT_FOUND,
  },
  'POST /api/v1/requests/:id/hand-off': [
    missing('hand-off'),
    {
      access: 'coordinator',
      note: '(a request still open)',
      url: (c) => `/api/v1/requests/${c.spare.reference}/hand-off`,
      ok: [409, 'APP_ERR_NOT_UNREACHABLE'],
    },
  ],
  'GET /api/v1/partner-deliveries': { access: 'coordinator', url: () => '/api/v1/partner-deliveries?state=dead', ok: [200] },
  'POST /api/v1/partner-deliveries/:id/replay': {
    access: 'coordinator',
    url: () => `/api/v1/partner-deliveries/${MISSING_VOLUNTEER}/replay`,
    ok: [404, 'APP_ERR_DELIVERY_NOT_FOUND'],
  },
  'GET /api/v1/partner/referrals': { access: 'partner', ok: [200] },
  'GET /api/v1/partner/referrals/:id': {
    access: 'partner',
    url: () => `/api/v1/partner/referrals/${MISSING_VOLUNTEER}`,
    ok: REFERRAL_NOT_FOUND,
  },
  'POST /api/v1/partner/referrals/:id/accept': referralMissing('accept'),
  'POST /api/v1/partner/referrals/:id/decline': referralMissing('decline'),
  'POST /api/v1/partner/referrals/:id/done': referralMissing('done'),
  'POST /api/v1/partner/referrals/:id/notes': referralMissing('notes', {
    body: () => ({
      note_record_id: 'x.org/note.1',
      author_name: 'Search group',
      source_date: '2022-01-08T10:00:00Z',
      found: true,
    }),
  }),
  'GET /api/v1/partner/referrals/:id/pfif': {
    access: 'partner',
    url: () => `/api/v1/partner/referrals/${MISSING_VOLUNTEER}/pfif`,
    ok: REFERRAL_NOT_FOUND,
  },
  'GET /api/v1/partner/pfif': { access: 'partner', ok: [200] },
  'GET /partner': { access: 'partner-page', ok: [200] },

  // Twilio's webhooks: the signature, never a session (about a missing notification or attempt).
  'POST /twilio/sms': twilio('/twilio/sms', { MessageSid: 'SM1', From: '+77019990001', Body: 'HELP' }, 200),
  'POST /twilio/sms/fallback': twilio('/twilio/sms/fallback', { Body: 'hi' }, 200),
  'POST /twilio/status': twilio(
    '/twilio/status?notification=999999',
    { MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' },
    204,
  ),
  'POST /twilio/voice/status': twilio(
    '/twilio/voice/status?notification=999999',
    { CallSid: 'CA1', CallStatus: 'failed', ErrorCode: '13224' },
    204,
  ),
  'POST /twilio/voice/gather': twilio('/twilio/voice/gather?notification=999999', { Digits: '2' }, 200),
  'POST /twilio/voice/incoming': twilio('/twilio/voice/incoming', { CallSid: 'CA1', From: '+77019990001' }, 200),
  'POST /twilio/voice/step': twilio('/twilio/voice/step?turn=0', { CallSid: 'CA2', From: '+77019990001', Digits: '1' }, 200),
  'POST /twilio/voice/fallback': twilio('/twilio/voice/fallback', {}, 200),
  'POST /twilio/bridge/status': twilio(
    '/twilio/bridge/status?attempt=999999',
    { CallSid: 'CA1', CallStatus: 'completed', CallDuration: '42' },
    204,
  ),
  'POST /twilio/bridge/dial': twilio(
    '/twilio/bridge/dial?attempt=999999',
    { DialCallStatus: 'completed', DialCallDuration: '40' },
    200,
  ),
}
