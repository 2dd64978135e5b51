/**
 * The housekeeping queue (retention purge, escalation, counters), worked by the worker processes.
 * Its name lives here, with the other queues, so that the API's read-only views (metrics,
 * bull-board) and the workers share it without the API importing from `workers/`.
 */
export const MAINTENANCE_QUEUE = 'maintenance'
