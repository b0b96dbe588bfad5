#!/usr/bin/env bash
# The main job on generated data: a messy CRM -> a signed meta upload with its manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
out=audiencekit-demo
mkdir -p "$out"
.venv/bin/python -c "import privacy; privacy.synthetic_crm(20000, seed=0).write_csv('$out/crm.csv')"
.venv/bin/python -m privacy keygen "$out/signing-key.pem"
.venv/bin/python -m privacy hash "$out/crm.csv" --platform meta -o "$out/meta_upload.csv" \
  --signing-key "$out/signing-key.pem"
echo "outputs in $out/: crm.csv (generated, fake people), meta_upload.csv + manifest, keys"
