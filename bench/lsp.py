"""Latency of ``dockopt lsp`` as an editor sees it: a warm server, timed from the client.

For each document: open it, warm up, then N times change one line (a new version) and time

* push diagnostics: ``didChange`` → the ``publishDiagnostics`` for that version;
* pull diagnostics: ``didChange`` → the ``textDocument/diagnostic`` response (a pulling client);
* formatting right after a change: ``didChange`` and at once ``textDocument/formatting`` (nothing
  of the new version is computed yet: its check is already running, then its fix loop);
* formatting after a pause: the diagnostics of a change arrived and typing paused (0.3 s), as
  before a save: the version's fixed text was computed in the background and is reused;

next to the engine alone in process (``findings`` and ``fix_text`` on the same text), which is the
"before": the cost every request paid without a per-version cache.

Documents: ``bench/data/Dockerfile.50`` and the first 324 lines of moby/buildkit's Dockerfile from
``../shared/corpus`` (read there, never copied). Writes ``bench/LSP.md`` (or ``--out``).

    python bench/lsp.py [--runs 15] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")
BUILDKIT = CORPUS / "real" / "moby__buildkit__Dockerfile" / "Dockerfile"


def documents() -> list[tuple[str, Path, str]]:
    fifty = HERE / "data" / "Dockerfile.50"
    lines = BUILDKIT.read_text(encoding="utf-8").splitlines(keepends=True)[:324]
    return [("50 lines (bench/data/Dockerfile.50)", fifty, fifty.read_text(encoding="utf-8")),
            ("324 lines (moby/buildkit, first 324)", BUILDKIT, "".join(lines))]  # fmt: skip


def variant(text: str, n: int) -> str:
    """The text with its last line changed: a new version as after a keystroke."""
    return text + f"# edit {n}\n"


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def engine_alone(path: Path, text: str, runs: int) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT))
    from optimizer.core.config import Settings
    from optimizer.engine import findings, fix_text

    timings: dict[str, list[float]] = {"findings": [], "fix_text": []}
    for n in range(runs + 2):
        version = variant(text, n)
        for name, run in (("findings", findings), ("fix_text", fix_text)):
            start = time.perf_counter()
            run(version, Settings(), path=path, context_dir=path.parent)
            if n >= 2:
                timings[name].append(time.perf_counter() - start)
    return median_ms(timings["findings"]), median_ms(timings["fix_text"])


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("dockopt-bench", "1")
        self.waiting: dict[tuple[str, int], asyncio.Future] = {}

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self.waiting.pop((params.uri, params.version), None)
            if future is not None and not future.done():
                future.set_result(params)


async def session(pull: bool, docs: list[tuple[str, Path, str]], runs: int) -> dict[str, dict[str, float]]:
    client = Client()
    await client.start_io(sys.executable, "-m", "optimizer", "lsp")
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
        )
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=ROOT.as_uri()))
    client.initialized(types.InitializedParams())
    results: dict[str, dict[str, float]] = {}
    loop = asyncio.get_running_loop()
    for label, path, text in docs:
        uri = path.as_uri()
        identifier = types.TextDocumentIdentifier(uri=uri)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="dockerfile", version=0, text=text)
            )
        )
        version = 0
        samples: dict[str, list[float]] = {"diagnostics": [], "formatting": [], "after a pause": []}

        def change(uri: str = uri, text: str = text) -> int:
            nonlocal version
            version += 1
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[
                        types.TextDocumentContentChangeWholeDocument(text=variant(text, version))
                    ],
                )
            )
            return version

        for n in range(runs + 3):  # three warm-up rounds
            start = time.perf_counter()
            if pull:
                change()
                await client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(text_document=identifier)
                )
            else:
                future = loop.create_future()
                client.waiting[(uri, version + 1)] = future
                change()
                await asyncio.wait_for(future, 60)
            diagnostics = time.perf_counter() - start
            start = time.perf_counter()
            change()
            options = types.FormattingOptions(tab_size=4, insert_spaces=True)
            await client.text_document_formatting_async(
                types.DocumentFormattingParams(text_document=identifier, options=options)
            )
            formatting = time.perf_counter() - start
            # Type once more, let the diagnostics arrive and typing pause, then save.
            if pull:
                change()
                await client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(text_document=identifier)
                )
            else:
                future = loop.create_future()
                client.waiting[(uri, version + 1)] = future
                change()
                await asyncio.wait_for(future, 60)
            await asyncio.sleep(0.3)
            start = time.perf_counter()
            await client.text_document_formatting_async(
                types.DocumentFormattingParams(text_document=identifier, options=options)
            )
            again = time.perf_counter() - start
            if n >= 3:
                samples["diagnostics"].append(diagnostics)
                samples["formatting"].append(formatting)
                samples["after a pause"].append(again)
        results[label] = {name: median_ms(values) for name, values in samples.items()}
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, default=HERE / "LSP.md")
    args = parser.parse_args()
    docs = documents()
    load_before = os.getloadavg()[0]
    push = asyncio.run(session(False, docs, args.runs))
    pull = asyncio.run(session(True, docs, args.runs))
    rows = []
    for label, path, text in docs:
        find_ms, fix_ms = engine_alone(path, text, args.runs)
        rows.append(
            f"| {label} | {find_ms} | {fix_ms} | {push[label]['diagnostics']} | {pull[label]['diagnostics']} "
            f"| {push[label]['formatting']} | {push[label]['after a pause']} |"
        )
    report = "\n".join(
        [
            "# `dockopt lsp` latency",
            "",
            "<!-- measured -->",
            (
                "Generated by `python bench/lsp.py` (a warm server over stdio, timed from the client; "
                f"median of {args.runs} changes after 3 warm-up rounds; milliseconds). Python "
                f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
                f"(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)."
            ),
            "",
            (
                "| document | engine alone: `findings` | engine alone: `fix_text` | change → diagnostics (push) "
                "| change → diagnostics (pull) | change → formatting at once | formatting after a pause |"
            ),
            "|---|---|---|---|---|---|---|",
            *rows,
            "<!-- /measured -->",
            "",
        ]
    )
    notes = ""
    if args.out.exists():
        previous = args.out.read_text(encoding="utf-8")
        if "<!-- /measured -->" in previous:
            notes = previous.split("<!-- /measured -->", 1)[1].lstrip("\n")
    report += "\n" + notes if notes else ""
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
