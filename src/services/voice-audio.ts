import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import type { MessageKey } from '../domain/messages/index.js'
import { PROJECT_ROOT } from '../paths.js'
import type { AudioUrls } from '../twilio/twiml.js'

/** The Kazakh prompts, one file per `voice.*` key (`voice.menu.mp3`), served under /assets/audio/kk/. */
export const KAZAKH_AUDIO_DIR = join(PROJECT_ROOT, 'src', 'views', 'static', 'audio', 'kk')
/** What Twilio's `<Play>` takes and a human recording is likely to be. */
export const AUDIO_EXTENSIONS = ['.mp3', '.wav'] as const

/** The recordings in a folder: key → file name. */
export function audioFiles(dir = KAZAKH_AUDIO_DIR): Map<string, string> {
  const files = new Map<string, string>()
  if (!existsSync(dir)) return files
  for (const file of readdirSync(dir).sort()) {
    const ext = extname(file)
    if ((AUDIO_EXTENSIONS as readonly string[]).includes(ext)) files.set(file.slice(0, -ext.length), file)
  }
  return files
}

/**
 * The public URL of each Kazakh prompt, read once at start. The file name is the key, so a human
 * recording replaces a synthesised one by taking its name (.mp3 or .wav), without code changes.
 * The URL carries a hash of the content: assets are cached for a year, and a replaced recording
 * must not be served from Twilio's cache.
 */
export function kazakhAudio(publicBaseUrl: string, dir = KAZAKH_AUDIO_DIR): AudioUrls {
  const base = `${publicBaseUrl.replace(/\/$/, '')}/assets/audio/kk/`
  const urls = new Map<string, string>()
  for (const [key, file] of audioFiles(dir)) {
    const version = createHash('sha256')
      .update(readFileSync(join(dir, file)))
      .digest('hex')
      .slice(0, 12)
    urls.set(key, `${base}${encodeURIComponent(file)}?v=${version}`)
  }
  return (key: MessageKey) => urls.get(key)
}
