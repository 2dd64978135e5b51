// Runs the TypeScript build (`npm run build`) only when dist/ is missing or older than a source,
// so that a command run from dist (`npm run admin`) starts in a moment when nothing changed,
// instead of spending half a minute on a full `tsc` every time.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
/** What tsconfig.build.json compiles; the config files change every output. */
const SOURCE_DIRS = ['src', 'workers', 'bench', 'dev']
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json']

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

function* typescriptFiles(dir) {
  let entries = []
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* typescriptFiles(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path
  }
}

/** The first source whose compiled file is missing or older than it, if any. */
export function staleSource() {
  const newestConfig = Math.max(...CONFIGS.map((file) => mtime(join(root, file)) ?? 0))
  for (const dir of SOURCE_DIRS) {
    for (const source of typescriptFiles(join(root, dir))) {
      const output = join(root, 'dist', relative(root, source)).replace(/\.ts$/, '.js')
      const built = mtime(output)
      if (built === undefined || built < (mtime(source) ?? 0) || built < newestConfig) return relative(root, source)
    }
  }
  return undefined
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stale = staleSource()
  if (stale) {
    console.error(`build: dist/ is missing or older than ${stale}: building (tsc)…`)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const result = spawnSync(npm, ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' })
    process.exit(result.status ?? 1)
  }
}
