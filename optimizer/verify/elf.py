"""What the dynamic loader reads of an ELF file: its program interpreter, DT_NEEDED and RUNPATH.

One reader for both users: ``inspect.py`` (planning a split from the built original: is an artifact
static or dynamic, which sonames it links) and ``closure.py`` (verifying one: the ELF closure of
what the command runs, libraries resolved through RUNPATH and ``$ORIGIN``).

Only the program headers are read (section headers may be stripped): PT_INTERP gives the
interpreter, PT_DYNAMIC the dynamic entries, and string offsets are mapped to file offsets through
the PT_LOAD segments. 32- and 64-bit, either byte order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29


@dataclass(frozen=True)
class Elf:
    interpreter: str = ""
    needed: tuple[str, ...] = ()
    runpath: tuple[str, ...] = ()  # DT_RUNPATH / DT_RPATH entries, as written (``$ORIGIN`` kept)

    @property
    def dynamic(self) -> bool:
        """Whether the loader is involved: an interpreter or a needed library."""
        return bool(self.interpreter) or bool(self.needed)


def parse_elf(data: bytes) -> Elf | None:
    """The loader's view of ``data``; None when it is not a readable ELF file."""
    if len(data) < 52 or data[:4] != b"\x7fELF":
        return None
    wide = data[4] == 2
    if wide and len(data) < 64:
        return None
    endian = "<" if data[5] == 1 else ">"
    try:
        if wide:
            (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
            phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
        else:
            (phoff,) = struct.unpack_from(endian + "I", data, 0x1C)
            phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
        loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        interpreter = ""
        dynamic: tuple[int, int] | None = None
        for index in range(phnum):
            at = phoff + index * phentsize
            if wide:
                kind, _, offset, vaddr, _, filesz = struct.unpack_from(endian + "IIQQQQ", data, at)
            else:
                kind, offset, vaddr, _, filesz = struct.unpack_from(endian + "IIIII", data, at)
            if kind == PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif kind == PT_INTERP:
                interpreter = data[offset : offset + filesz].split(b"\0", 1)[0].decode("utf-8", "replace")
            elif kind == PT_DYNAMIC:
                dynamic = (offset, filesz)
        if dynamic is None:
            return Elf(interpreter)
        entry = struct.Struct(endian + ("qQ" if wide else "iI"))
        entries: list[tuple[int, int]] = []
        for at in range(dynamic[0], dynamic[0] + dynamic[1] - entry.size + 1, entry.size):
            tag, value = entry.unpack_from(data, at)
            if tag == DT_NULL:
                break
            entries.append((tag, value))
    except struct.error:
        return None
    strtab = next((value for tag, value in entries if tag == DT_STRTAB), None)
    table = None
    if strtab is not None:
        table = next((off + strtab - va for va, off, size in loads if va <= strtab < va + size), None)

    def string(index: int) -> str:
        if table is None:
            return ""
        end = data.find(b"\0", table + index)
        return data[table + index : end if end != -1 else None].decode("utf-8", "replace")

    needed = tuple(string(value) for tag, value in entries if tag == DT_NEEDED)
    runpath = tuple(
        part
        for tag, value in entries
        if tag in (DT_RPATH, DT_RUNPATH)
        for part in string(value).split(":")
        if part
    )
    return Elf(interpreter, needed, runpath)
