# shared shell settings for build steps
set -e
