"""Read the feed list and print one line per feed."""

import os
from pathlib import Path

import requests
import yaml

CONFIG = Path(os.environ.get("FEEDS_CONFIG", "/app/feeds.yaml"))


def load_feeds(path: Path = CONFIG) -> list[dict]:
    return yaml.safe_load(path.read_text())["feeds"]


def main() -> None:
    session = requests.Session()
    for feed in load_feeds():
        if os.environ.get("DRY_RUN"):
            print(f"would fetch {feed['name']}: {feed['url']}")
            continue
        response = session.get(feed["url"], timeout=10)
        print(f"{feed['name']}: {response.status_code} {len(response.content)} bytes")
