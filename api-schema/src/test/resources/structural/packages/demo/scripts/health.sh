#!/usr/bin/env bash
# Never run: the structural fixtures are only parsed.
set -euo pipefail
echo "demo package: not meant to run" >&2
exit 1
