import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import t from 'tap'
import { build, freePort } from '../helper.js'

const README_BASE = 'http://localhost:3000'

/** The README's intake example: the shell block that posts to /api/v1/requests. */
async function intakeExample(): Promise<string> {
  const readme = await readFile('README.md', 'utf8')
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .find((code) => code.startsWith('curl') && code.includes('/api/v1/requests -H'))
  if (!block) throw new Error('README.md has no curl example for POST /api/v1/requests')
  return block
}

t.test("the README's intake example, pasted as it is, makes a request whose statusUrl works", async (t) => {
  const example = await intakeExample()
  const data = /-d '([^']*)'/.exec(example)?.[1]
  t.ok(data, 'the body is one single-quoted argument')
  const body = JSON.parse(data ?? '')
  t.match(body, { requester: { phone: String }, relative: { altPhone: String, address: String, notes: String }, consent: true })

  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { app } = await build(t, { PUBLIC_BASE_URL: base })
  await app.listen({ host: '127.0.0.1', port })
  const command = example.replaceAll(README_BASE, base)

  // Run by a shell, as pasted, when curl is there; else the same request from the parsed block.
  const answer = existsSync('/usr/bin/curl')
    ? (await promisify(execFile)('bash', ['-c', command])).stdout
    : await (
        await fetch(`${base}/api/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: data })
      ).text()
  const created = JSON.parse(answer)
  t.match(created, { reference: /^[2-9A-Z]{8}$/, status: 'received', linked: false })
  t.equal(created.statusUrl, `${base}/status?ref=${created.reference}`)

  const page = await fetch(created.statusUrl)
  t.equal(page.status, 200, 'the statusUrl opens')
  t.match(await page.text(), `value="${created.reference}"`, 'with the reference filled in')

  const byScript = await fetch(`${base}/api/v1/requests/${created.reference}?phone=${encodeURIComponent(body.requester.phone)}`)
  t.equal(byScript.status, 200, "the script's way, as the README shows it")
  t.match(await byScript.json(), { reference: created.reference, status: 'received' })
})
