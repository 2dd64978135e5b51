import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { type Account, audit } from '../db/account-repository.js'
import type { Db } from '../db/pool.js'
import { markRecordingsDeleted, playableRecording, recordingsDue } from '../db/voice-repository.js'
import { AuthErrors, TaskErrors } from '../errors.js'
import type { TwilioClient } from '../twilio/client.js'

type TwilioConfig = Pick<Config, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_BASE_URL' | 'TWILIO_TIMEOUT_MS'>

/**
 * A recording's audio at Twilio, built from its SID rather than from a URL we were given: only
 * Twilio's own host (or TWILIO_BASE_URL, the fake in tests and the demo) is ever fetched.
 */
export function recordingMediaUrl(config: TwilioConfig, sid: string): string {
  const origin = config.TWILIO_BASE_URL?.replace(/\/$/, '') ?? 'https://api.twilio.com'
  return `${origin}/2010-04-01/Accounts/${config.TWILIO_ACCOUNT_SID}/Recordings/${sid}.mp3`
}

/**
 * A caller's recording for the volunteer holding the task's live lease (checked in the same query
 * as the read), audited, streamed through the service: the volunteer never gets a Twilio URL or
 * credentials, and nothing is playable once the lease ends. The twilio library has no call for
 * media, so this one request goes out with fetch and the account's Basic auth.
 */
export async function openRecording(
  deps: { db: Db; config: TwilioConfig },
  account: Account,
  ask: { reference: string; kind: 'place' | 'name' },
): Promise<{ audio: Readable; type: string }> {
  if (account.status !== 'approved') throw new AuthErrors.NOT_APPROVED()
  const found = await playableRecording(deps.db, { ...ask, accountId: account.id })
  if (!found) throw new TaskErrors.TASK_NOT_FOUND()
  if (!found.sid) throw new TaskErrors.RECORDING_NOT_FOUND()
  await audit(deps.db, {
    accountId: account.id,
    action: 'recording.played',
    requestId: found.requestId,
    data: { kind: ask.kind },
  })
  const { TWILIO_ACCOUNT_SID: user, TWILIO_AUTH_TOKEN: token } = deps.config
  const res = await fetch(recordingMediaUrl(deps.config, found.sid), {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` },
    signal: AbortSignal.timeout(deps.config.TWILIO_TIMEOUT_MS),
  }).catch(() => null)
  if (!res?.ok || !res.body) {
    await res?.body?.cancel()
    throw new TaskErrors.RECORDING_UNAVAILABLE()
  }
  return {
    audio: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
    type: res.headers.get('content-type') ?? 'audio/mpeg',
  }
}

/**
 * Deletes at Twilio the recordings whose request's personal data was purged (and those of calls
 * that made no request), then marks them deleted. Idempotent: a recording Twilio no longer has
 * (404) counts as deleted; any other failure leaves it for the next run.
 */
export async function deleteDueRecordings(deps: { db: Db; twilio: TwilioClient; log: Logger }, limit = 200): Promise<number> {
  const deleted: string[] = []
  for (const sid of await recordingsDue(deps.db, limit)) {
    try {
      await deps.twilio.recordings(sid).remove()
      deleted.push(sid)
    } catch (err) {
      const status = (err as { status?: number }).status
      if (status === 404) deleted.push(sid)
      else deps.log.warn({ recordingSid: sid, status }, 'recording not deleted at Twilio; the next purge tries again')
    }
  }
  await markRecordingsDeleted(deps.db, deleted)
  return deleted.length
}
