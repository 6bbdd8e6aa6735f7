#!/usr/bin/env bash
# Builds dist/ unless it is newer than every input of the build (src/, the tsconfig files, the
# lock file): setup, `npm test` and the main job each need a build, and one is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=dist/.built
if [[ -f $stamp ]] && [[ -z $(find src tsconfig.json tsconfig.build.json package-lock.json -newer "$stamp" -print -quit) ]]; then
  exit 0
fi
npm run build --silent
touch "$stamp"
