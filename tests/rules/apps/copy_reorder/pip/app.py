"""A tiny app whose dependencies take a while to install; the build test edits this file."""

import requests

print("requests", requests.__version__)
