#!/bin/sh
# Back up the configured directories with rsync over ssh, then report.
set -eu
CONFIG=${CONFIG:-/opt/backup/config.yaml}
target=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["target"])' "$CONFIG")
for dir in $(python3 -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["paths"]))' "$CONFIG"); do
  echo "backing up $dir to $target"
  [ -n "${DRY_RUN:-}" ] || rsync -az "$dir" "$target"
done
notify "backup finished"
