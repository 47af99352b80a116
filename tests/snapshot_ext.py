"""A syrupy extension that stores each fixture's snapshot as ``fixtures/<CODE>/<case>/fix.diff``.

The snapshot sits beside the Dockerfile it describes, so a rule's code leads to its fixtures and
their expected diffs in one folder. Update with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
from pathlib import Path

from fixture_cases import FIXTURES
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

SNAPSHOT_NAME = "fix.diff"
TEST_NAME = "test_fixture"
_PARAM = re.compile(r"\[(?P<id>[^\]]+)\]")


class FixtureDiffExtension(SingleFileSnapshotExtension):
    # Bytes, not text: a CRLF fixture's diff must keep its CRs (text mode would translate them).
    _write_mode = WriteMode.BINARY
    file_extension = "diff"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(FIXTURES)

    @classmethod
    def discovery_dirname(cls, *, test_location) -> str:
        return str(FIXTURES)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        # The raw name (the single-file base class would sanitise "/" away), so that it matches
        # the names read_snapshot_collection gives the stored files.
        from syrupy.extensions.base import AbstractSyrupyExtension

        return AbstractSyrupyExtension.get_snapshot_name(test_location=test_location, index=index)

    @classmethod
    def get_location(cls, *, test_location, index) -> str:
        match = _PARAM.search(test_location.snapshot_name)
        if not match:
            raise ValueError(f"fixture snapshot needs a case id: {test_location.snapshot_name}")
        return str(FIXTURES / match.group("id") / SNAPSHOT_NAME)

    def is_snapshot_location(self, *, location: str) -> bool:
        return Path(location).name == SNAPSHOT_NAME

    def read_snapshot_collection(self, *, snapshot_location: str):
        """Name the stored snapshot after the test that owns it, so unused detection can match it."""
        from syrupy.data import Snapshot, SnapshotCollection

        case = Path(snapshot_location).parent
        collection = SnapshotCollection(location=snapshot_location)
        collection.add(Snapshot(name=f"{TEST_NAME}[{case.parent.name}/{case.name}]"))
        return collection

    def discover_snapshots(self, *, test_location, ignore_extensions=None):
        from syrupy.data import SnapshotCollections

        discovered = SnapshotCollections()
        for path in sorted(FIXTURES.glob(f"*/*/{SNAPSHOT_NAME}")):
            collection = self.read_snapshot_collection(snapshot_location=str(path))
            discovered.update(collection)
        return discovered
