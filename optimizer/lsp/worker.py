"""One thread for the CPU-bound work, taking jobs by priority: what a user waits for (formatting,
a code action, a pulled diagnostic) before background checks, and those before warming up a
version's fixed text. One thread because the work holds the GIL anyway; a second would only slow
the first down."""

from __future__ import annotations

import asyncio
import enum
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Priority(enum.IntEnum):
    REQUEST = 0  # a client is waiting for the answer
    CHECK = 1  # diagnostics of a version just typed
    WARM = 2  # the fixed text, ready for format-on-save


class Worker:
    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], Any] | None, Future[Any] | None]] = (
            queue.PriorityQueue()
        )
        self._order = itertools.count()
        self._thread = threading.Thread(target=self._run, name="dockopt-lsp-worker", daemon=True)
        self._thread.start()

    def submit(self, priority: Priority, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((int(priority), next(self._order), job, future))
        return future

    async def run(self, priority: Priority, job: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self.submit(priority, job))

    def shutdown(self) -> None:
        """Stop after the job running now; queued jobs are cancelled."""
        self._queue.put((-1, -1, None, None))

    def _run(self) -> None:
        while True:
            _, _, job, future = self._queue.get()
            if job is None or future is None:
                self._cancel_rest()
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the future
                future.set_exception(exc)

    def _cancel_rest(self) -> None:
        while True:
            try:
                _, _, _, future = self._queue.get_nowait()
            except queue.Empty:
                return
            if future is not None:
                future.cancel()
