import type { Row } from './authz-table.js'

/**
 * bull-board's routes in the authorisation table (test/authz.test.ts): coordinators only; reads
 * answer, every change is refused (the board is read-only).
 */
const BOARD_READS = [
  '',
  '/api/job-schedulers',
  '/api/queues',
  '/api/queues/:queueName/:jobId',
  '/api/queues/:queueName/:jobId/flow',
  '/api/queues/:queueName/:jobId/logs',
  '/api/queues/:queueName/default-job-options',
  '/api/queues/:queueName/job-data-schema',
  '/api/queues/:queueName/metrics',
  '/api/queues/:queueName/rate-limit',
  '/api/queues/:queueName/workers',
  '/api/redis/stats',
  '/job-schedulers',
  '/metrics-history',
  '/queue/:queueName',
  '/queue/:queueName/:jobId',
  '/static/*',
]
const BOARD_CHANGES = [
  'PATCH /api/queues/:queueName/:jobId/delay',
  'PATCH /api/queues/:queueName/:jobId/priority',
  'PATCH /api/queues/:queueName/:jobId/update-data',
  'PATCH /api/queues/:queueName/job-schedulers/:schedulerId',
  'POST /api/queues/:queueName/add',
  'PUT /api/queues/:queueName/:jobId/clean',
  'PUT /api/queues/:queueName/:jobId/promote',
  'PUT /api/queues/:queueName/:jobId/remove-unprocessed-children',
  'PUT /api/queues/:queueName/:jobId/retry',
  'PUT /api/queues/:queueName/clean/:queueStatus',
  'PUT /api/queues/:queueName/concurrency',
  'PUT /api/queues/:queueName/empty',
  'PUT /api/queues/:queueName/job-schedulers/:schedulerId/remove',
  'PUT /api/queues/:queueName/job-schedulers/:schedulerId/run',
  'PUT /api/queues/:queueName/obliterate',
  'PUT /api/queues/:queueName/pause',
  'PUT /api/queues/:queueName/promote',
  'PUT /api/queues/:queueName/rate-limit',
  'PUT /api/queues/:queueName/rate-limit/release',
  'PUT /api/queues/:queueName/resume',
  'PUT /api/queues/:queueName/retry/:queueStatus',
  'PUT /api/queues/pause',
  'PUT /api/queues/resume',
]
const BOARD_PARAMS: Record<string, string> = {
  queueName: 'checkins-ru',
  jobId: 'none',
  queueStatus: 'failed',
  schedulerId: 'none',
}
// Valid bodies, so that the answer is the board's read-only refusal and not its validation.
const BOARD_BODIES: Record<string, object> = {
  'PATCH /api/queues/:queueName/:jobId/delay': { runAt: 0 },
  'PATCH /api/queues/:queueName/:jobId/priority': { priority: 1 },
  'PATCH /api/queues/:queueName/:jobId/update-data': { jobData: {} },
  'PATCH /api/queues/:queueName/job-schedulers/:schedulerId': { every: 60_000 },
  'PUT /api/queues/:queueName/concurrency': { concurrency: 1 },
}
/** Board reads that look a missing job up: the board's own 404. */
const BOARD_MISSING = ['/api/queues/:queueName/:jobId', '/api/queues/:queueName/:jobId/flow']
/** Board changes over every queue: 200, but they skip read-only queues (all of them), so nothing changes. */
const BOARD_ALL = ['PUT /api/queues/pause', 'PUT /api/queues/resume']
const board = (path: string) => () =>
  `/admin/queues${path.replace(/:(\w+)/g, (_, name: string) => BOARD_PARAMS[name] ?? name).replace('*', 'favicon-32x32.png')}`

/** The board's rows of the authorisation table. */
export const BOARD_ROWS: Record<string, Row> = {
  ...Object.fromEntries(
    BOARD_READS.map((path) => [
      `GET /admin/queues${path}`,
      { access: 'coordinator', url: board(path), ok: [BOARD_MISSING.includes(path) ? 404 : 200] },
    ]),
  ),
  ...Object.fromEntries(
    BOARD_CHANGES.map((key) => {
      const [method, path] = key.split(' ') as [string, string]
      const body = BOARD_BODIES[key]
      const row: Row = { access: 'coordinator', url: board(path), ok: [BOARD_ALL.includes(key) ? 200 : 405] }
      return [`${method} /admin/queues${path}`, body ? { ...row, body: () => body } : row]
    }),
  ),
}
