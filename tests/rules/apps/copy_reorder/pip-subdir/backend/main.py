"""The service: manifests in a subdirectory, copied with --chown; the build test edits this file."""

import six

print(six.__version__)
