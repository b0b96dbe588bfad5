#!/usr/bin/env bash
# The main job: a synthetic telco population -> the example audience, its waterfall, overlap and
# profile, a signed hashed meta upload of the customers in it, RFM groups. Outputs: ./audiencekit-demo
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
.venv/bin/python -m segmentation demo --out audiencekit-demo "$@"
