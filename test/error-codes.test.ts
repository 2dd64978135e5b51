import { readdir, readFile } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import * as errors from '../src/errors.js'

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url))
const SELF = fileURLToPath(import.meta.url)

/** Every code in src/errors.ts, from the constructors themselves (no parsing of the source). */
function declaredCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>()
  for (const [group, members] of Object.entries(errors)) {
    for (const [name, Ctor] of Object.entries(members as Record<string, new () => { code: string }>)) {
      const code = new Ctor().code
      codes.set(code, [...(codes.get(code) ?? []), `${group}.${name}`])
    }
  }
  return codes
}

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name)
      if (e.isDirectory()) return e.name === 'fixtures' || e.name.startsWith('.') ? [] : testFiles(path)
      return e.name.endsWith('.ts') ? [path] : []
    }),
  )
  return nested.flat()
}

/** Source without comments: a code named in a comment is not an assertion. */
const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')

/**
 * Every refusal the API can answer with is asserted by its code somewhere in the suite: the
 * 'APP_ERR_…' literal, outside comments, in a test file (this one excepted). Tests assert codes because
 * wording changes; a code nobody asserts is a refusal nobody has seen happen.
 */
t.test('every code in src/errors.ts is asserted by some test', async (t) => {
  const codes = declaredCodes()
  t.ok(codes.size >= 20, `found the codes (${codes.size})`)
  const files = (await testFiles(TEST_DIR)).filter((f) => f !== SELF)
  const sources = await Promise.all(files.map(async (f) => ({ file: f, text: withoutComments(await readFile(f, 'utf8')) })))
  for (const [code, names] of codes) {
    // The code on its own: in a quoted literal, or inside one (a page's `?error=APP_ERR_…`).
    const literal = new RegExp(`(?<![A-Z_])${code}(?![A-Z_])`)
    const where = sources.filter((s) => literal.test(s.text)).map((s) => relative(TEST_DIR, s.file))
    t.ok(where.length > 0, `${code} (${names.join(', ')}) is asserted`, { where })
  }
})

t.test('the scan sees the suite and ignores comments', async (t) => {
  const files = await testFiles(TEST_DIR)
  t.ok(files.includes(SELF), 'this file is found (and excluded by name)')
  t.ok(
    files.some((f) => basename(f) === 'refusals.test.ts'),
    'test/refusals.test.ts is scanned',
  )
  t.equal(withoutComments("  // 'APP_ERR_X'\n/* 'APP_ERR_Y' */ t.equal(code, 'APP_ERR_Z')"), "\n t.equal(code, 'APP_ERR_Z')")
})
