#!/bin/sh
set -e
echo "running as $(id -un) in $(pwd)"
touch ./state && echo "WORKDIR writable by $(stat -c %U ./state)"
exec ./greet "$@"
