#!/usr/bin/env bash
# The production install of the Docker image, into the current directory (package.json and
# package-lock.json must be there). The Dockerfile's `deps` stage RUNs this very file and
# scripts/rehearse-image.sh runs it into a clean folder in CI: one install path, so the rehearsal
# cannot drift from the image. Needs python3, make and g++ (the `deps` stage installs them).
#
# Why compile: argon2 0.45.1's prebuilt linux-x64 binary segfaults on load on Debian 12 with
# Node 20 (`require('argon2')` exits 139). Its install script tests the prebuild on the machine
# that *builds* and compiles only when that test fails, so whether an image works would depend on
# the CPU of the build host. Every native addon is therefore compiled from source, against the
# Node and glibc of this image, and loaded once before the install counts as done.
set -euo pipefail

# The only dependencies allowed to run an install script, each compiled from source. A new
# dependency with an install script fails the check below until it is added here.
NATIVE_ADDONS=(argon2 msgpackr-extract)

say() { echo "image-install: $*"; }
die() {
  echo "image-install: FAILED: $*" >&2
  exit 1
}
if [ ! -f package.json ] || [ ! -f package-lock.json ]; then die "run it where package.json and package-lock.json are"; fi

# No lifecycle scripts from the whole tree: only the addons named above are built, below.
npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Compile against the headers of the Node that runs this (the official images ship them under
# its prefix) instead of downloading them from nodejs.org.
nodedir=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [ -f "$nodedir/include/node/node_api.h" ]; then export npm_config_nodedir=$nodedir; fi
say "compiling ${NATIVE_ADDONS[*]} from source"
# The addons' loaders (node-gyp-build*) read this variable and skip their prebuild test.
npm_config_build_from_source=true npm rebuild "${NATIVE_ADDONS[@]}" --no-audit --no-fund ||
  die "compiling ${NATIVE_ADDONS[*]} failed (python3, make and g++ installed?)"

# Run in a child process: a crashing addon kills only the check, and the exit code is named.
check=$(
  cat <<'JS'
const path = require('node:path')
const addons = process.argv.slice(1)
const lock = require(path.resolve('node_modules/.package-lock.json'))
const scripted = Object.entries(lock.packages)
  .filter(([, meta]) => meta.hasInstallScript)
  .map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length))
const unlisted = scripted.filter((name) => !addons.includes(name))
if (unlisted.length > 0) {
  console.error(`image-install: FAILED: ${unlisted.join(', ')} has an install script: add it to NATIVE_ADDONS in scripts/image-install.sh`)
  process.exit(1)
}
for (const name of addons) require(require.resolve(name, { paths: [process.cwd()] }))
// The binaries this process really loaded: each addon's must be the one compiled above.
const loaded = process.report.getReport().sharedObjects.filter((file) => file.endsWith('.node'))
for (const name of addons) {
  const built = path.resolve('node_modules', name, 'build', 'Release') + path.sep
  if (!loaded.some((file) => file.startsWith(built))) {
    console.error(`image-install: FAILED: ${name} did not load its compiled binary (loaded: ${loaded.join(', ') || 'none'})`)
    process.exit(1)
  }
}
const argon2 = require(require.resolve('argon2', { paths: [process.cwd()] }))
;(async () => {
  const hash = await argon2.hash('image-install self-test', { type: argon2.argon2id })
  const right = await argon2.verify(hash, 'image-install self-test')
  const wrong = await argon2.verify(hash, 'another password')
  if (!right || wrong) throw new Error('argon2 verify gave the wrong answer')
  console.log(`image-install: ${addons.join(', ')} compiled and loaded; argon2id hashes and verifies`)
})().catch((err) => {
  console.error(`image-install: FAILED: ${err.message}`)
  process.exit(1)
})
JS
)
rc=0
node -e "$check" "${NATIVE_ADDONS[@]}" || rc=$?
case "$rc" in
  0) ;;
  1) exit 1 ;; # the check said why
  139) die "loading a native addon crashed (segmentation fault, exit 139)" ;;
  *) die "the native addon check exited with $rc" ;;
esac
