"""Text edits for moving and writing COPY instructions (DO401, DO402).

Why a module: both rules move a ``COPY`` *with the comment lines above it* (they describe it), leave
no doubled blank line where it was, and write new ``COPY`` lines in the moved instruction's own
style — keyword case, indentation, flags as written, shell or JSON form, the file's line ending.
Edits stay local: a deletion of the moved block, an insertion after an instruction, and for a split
RUN the replacement of the `` && `` between two commands by a line break, the moved block and a
new ``RUN`` keyword.
"""

from __future__ import annotations

import json
import re

from ...syntax import Blank, Dockerfile, Instruction
from ..base import Edit
from ._plan import FullCopy

# Paths written into a new COPY line as they are: no quoting, globbing or variables to worry about.
PLAIN_PATH = re.compile(r"^[A-Za-z0-9_.@+,=-][A-Za-z0-9_./@+,=-]*$")


def block_start(instruction: Instruction) -> int:
    """Where an instruction's block starts: its first leading comment line, or itself."""
    comments = instruction.leading_comments
    return comments[0].start if comments else instruction.start


def block_text(text: str, instruction: Instruction, newline: str) -> str:
    """The instruction with the comments above it, ending with a line break; a commented block
    starts a paragraph, so it keeps a blank line above it."""
    chunk = text[block_start(instruction) : instruction.end]
    chunk = chunk if chunk.endswith("\n") else chunk + newline
    return newline + chunk if instruction.leading_comments else chunk


def remove_block(tree: Dockerfile, instruction: Instruction, replacement: str = "") -> Edit:
    """Delete (or replace) an instruction with its comments; when that leaves two blank lines
    together, the one after goes too."""
    start, end = block_start(instruction), instruction.end
    if not replacement:
        nodes = tree.nodes
        index = next(i for i, node in enumerate(nodes) if node is instruction)
        first = index - len(instruction.leading_comments)
        before = nodes[first - 1] if first > 0 else None
        after = nodes[index + 1] if index + 1 < len(nodes) else None
        if isinstance(after, Blank) and (before is None or isinstance(before, Blank)):
            end = after.end
    return Edit(start, end, replacement)


def insert_after(text: str, instruction: Instruction, chunk: str, newline: str) -> Edit:
    """Insert ``chunk`` (whole lines) right after ``instruction``, also when it ends the file."""
    if text[instruction.end - 1 : instruction.end] == "\n":
        return Edit.insert(instruction.end, chunk)
    return Edit.insert(instruction.end, newline + chunk.rstrip("\r\n"))


def indentation(instruction: Instruction) -> str:
    return instruction.text[: instruction.keyword_start - instruction.start]


def copy_lines(template: Instruction, groups: list[tuple[list[str], str]], newline: str) -> str:
    """New COPY lines shaped like ``template`` (a COPY or ADD): one per (sources, destination) group."""
    flags = "".join(flag.text + " " for flag in template.flags)
    keyword = "copy" if template.keyword.islower() else "COPY"  # manifests are never archives to unpack
    lead = indentation(template) + keyword + " " + flags
    lines = []
    for sources, destination in groups:
        if template.json:
            body = "[" + ", ".join(json.dumps(word) for word in (*sources, destination)) + "]"
        else:
            body = " ".join((*sources, destination))
        lines.append(lead + body + newline)
    return "".join(lines)


def run_prefix(text: str, run: Instruction) -> str:
    """``RUN --mount=… `` as written before the command line, for the second half of a split RUN."""
    start = run.keyword_start
    return indentation(run) + text[start : run.args_source_start]


def reorder_edits(
    text: str,
    tree: Dockerfile,
    copy: FullCopy,
    slot: Instruction | None,
    run: Instruction,
    files: list[str],
    split: tuple[int, int] | None,
) -> list[Edit]:
    """DO401's edits: the manifest COPY lines where the source copy was (or after ``slot``, the last
    RUN it may follow), and the source copy with its comments after the install (or in the split)."""
    newline = tree.newline
    groups: dict[str, list[str]] = {}
    for rel in files:
        inside = rel if copy.source == "." else rel[len(copy.source) + 1 :]
        folder = inside.rpartition("/")[0] or "."
        word = rel if "$" not in copy.source_word else copy.source_word.rstrip("/") + "/" + inside
        groups.setdefault(folder, []).append(word)
    destinations = [(words, manifest_destination(copy.dest_word, folder)) for folder, words in groups.items()]
    lines = copy_lines(copy.instruction, destinations, newline)
    moved = block_text(text, copy.instruction, newline)
    if slot is not None:
        edits = [remove_block(tree, copy.instruction), insert_after(text, slot, lines, newline)]
    else:
        edits = [remove_block(tree, copy.instruction, lines)]
    if split is None:
        return [*edits, insert_after(text, run, moved, newline)]
    return [*edits, Edit(split[0], split[1], newline + moved + run_prefix(text, run))]


def manifest_destination(word: str, folder: str) -> str:
    """Where manifests of ``folder`` (relative to the copied directory) go: always a directory, so
    several sources are allowed and a missing directory is created."""
    if folder == ".":
        return word if word.endswith("/") else word + "/"
    if word in (".", "./"):
        return folder + "/"
    return word.rstrip("/") + "/" + folder + "/"
