#!/bin/sh
set -e
echo "running as $(id -un) in $(pwd)"
exec ./greet "$@"
