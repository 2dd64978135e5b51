#!/usr/bin/env bash
# The Kazakh prompts of the voice line, made from the kk catalogue with Debian's espeak-ng (voice
# `kk`). Twilio's <Say> has no Kazakh voice, so a Kazakh caller hears these files through <Play>:
# one per `voice.*` key, named after it (src/views/static/audio/kk/<key>.mp3), 8 kHz mono, which
# is all a phone line carries.
#
# A human recording replaces a synthesised one by taking its name (<key>.mp3 or <key>.wav; remove
# the other): the service finds files by name, so no code changes. This script leaves such files
# alone. It makes the missing files and re-makes its own when their text changed;
# scripts/voice-prompts.tsv remembers what it made (key, text hash, file hash). --force re-makes
# every file of its own.
#
#   apt-get install -y espeak-ng sox libsox-fmt-mp3   # without sox: WAV as espeak-ng writes it
#   bash scripts/voice-prompts.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=src/views/static/audio/kk
MANIFEST=scripts/voice-prompts.tsv
FORCE=${1:-}
# espeak-ng's words per minute (default 175): a little slower for a frightened caller on a bad line.
SPEED=150

command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install -y espeak-ng sox libsox-fmt-mp3" >&2; exit 1; }
mp3=no
if command -v sox >/dev/null && sox -h 2>/dev/null | grep -q 'AUDIO FILE FORMATS:.* mp3'; then mp3=yes; fi
[ "$mp3" = yes ] || echo "note: sox with MP3 support is missing; writing WAV (larger)" >&2

mkdir -p "$OUT"
touch "$MANIFEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# key<TAB>text for every voice.* key, from the catalogue itself (through tap's TypeScript loader).
TS_NODE_TRANSPILE_ONLY=1 node --import=@tapjs/typescript/import --input-type=module -e "
  const { kk } = await import('./src/domain/messages/kk.ts')
  for (const [key, text] of Object.entries(kk)) if (key.startsWith('voice.')) console.log(key + '\t' + text)
" >"$tmp/texts.tsv"

hash() { sha256sum | cut -c1-16; }
made=0 kept=0
: >"$tmp/manifest.tsv"
while IFS=$'\t' read -r key text; do
  text_hash=$(printf '%s' "$text" | hash)
  file=$(ls "$OUT/$key".mp3 "$OUT/$key".wav 2>/dev/null | head -n1 || true)
  entry=$(awk -F'\t' -v k="$key" '$1 == k' "$MANIFEST")
  if [ -n "$file" ]; then
    file_hash=$(hash <"$file")
    if [ "$(cut -f3 <<<"$entry")" != "$file_hash" ]; then
      # Not ours (a human recording): kept; its text may have moved on since.
      [ "$(cut -f2 <<<"$entry")" = "$text_hash" ] || echo "kept $file (not made here); its text is now: $text" >&2
      [ -n "$entry" ] && printf '%s\n' "$entry" >>"$tmp/manifest.tsv"
      kept=$((kept + 1))
      continue
    fi
    if [ "$FORCE" != --force ] && [ "$(cut -f2 <<<"$entry")" = "$text_hash" ]; then
      printf '%s\n' "$entry" >>"$tmp/manifest.tsv"
      kept=$((kept + 1))
      continue
    fi
    rm -f "$file"
  fi
  espeak-ng -v kk -s "$SPEED" -w "$tmp/out.wav" "$text"
  if [ "$mp3" = yes ]; then
    file="$OUT/$key.mp3"
    sox "$tmp/out.wav" -r 8000 -c 1 -C 16 "$file"
  elif command -v sox >/dev/null; then
    file="$OUT/$key.wav"
    sox "$tmp/out.wav" -r 8000 -c 1 -e u-law "$file"
  else
    file="$OUT/$key.wav"
    cp "$tmp/out.wav" "$file"
  fi
  printf '%s\t%s\t%s\n' "$key" "$text_hash" "$(hash <"$file")" >>"$tmp/manifest.tsv"
  made=$((made + 1))
done <"$tmp/texts.tsv"

sort "$tmp/manifest.tsv" >"$MANIFEST"
# Files whose key left the catalogue.
for f in "$OUT"/*; do
  key=$(basename "${f%.*}")
  cut -f1 "$tmp/texts.tsv" | grep -qxF "$key" || echo "no longer in the catalogue: $f (remove it)" >&2
done
echo "voice prompts: $made made, $kept kept; $(($(cat "$OUT"/* | wc -c) / 1024)) KiB in $OUT"
