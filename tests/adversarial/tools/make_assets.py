"""Re-create the binary context files of the adversarial probes (they are checked in; this documents
how they were made and rebuilds them if one is lost).

    .venv/bin/python tests/adversarial/tools/make_assets.py            # offline assets only
    .venv/bin/python tests/adversarial/tools/make_assets.py --engine   # also those that need the lab

Offline: the local wheel ``localpkg-1.0``, the tar archives of class 4 (v7 tars have no ``ustar``
magic: written as ustar by ``tarfile``, then the magic/version and ustar-only fields are cleared and
the checksum recomputed), the fake ``jq`` package and flat apt repository of ``2-rootfs-apt-source``,
and the ``apk`` stand-in script. With ``--engine`` (the build lab must run; ``eval "$(buildlab env)"``):
the npm ``_cacache`` of ``2-npmrc-offline-cache`` and the yarn offline mirror tarball.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PROBES = Path(__file__).resolve().parents[1] / "probes"
WHEEL = "localpkg-1.0-py3-none-any.whl"
FIXED_MTIME = 1_700_000_000


def wheel_bytes() -> bytes:
    files = {
        "localpkg/__init__.py": b'VERSION = "1.0 (local wheel)"\n',
        "localpkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: localpkg\nVersion: 1.0\n",
        "localpkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: dockopt-probes\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("localpkg-1.0.dist-info/RECORD,,")
    files["localpkg-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return out.getvalue()


def ustar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), FIXED_MTIME, 0o644
            info.uid = info.gid = 0
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def v7_bytes(members: dict[str, bytes]) -> bytes:
    """A tar in the pre-POSIX (v7) format: no magic at offset 257, valid checksums."""
    data = bytearray(ustar_bytes(members))
    offset = 0
    while offset + 512 <= len(data) and any(data[offset : offset + 512]):
        header = data[offset : offset + 512]
        size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        header[257:512] = bytes(255)  # magic, version, uname, gname, devmajor/minor, prefix
        header[148:156] = b" " * 8
        header[148:156] = b"%06o\0 " % sum(header)
        data[offset : offset + 512] = header
        offset += 512 + (size + 511) // 512 * 512
    assert b"ustar" not in bytes(data[:1024])
    return bytes(data)


def fake_jq_repo(target: Path) -> None:
    """A flat apt repository with a fake jq 99 (a shell script), as an in-house mirror would hold."""
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "jq"
        (root / "DEBIAN").mkdir(parents=True)
        (root / "usr/bin").mkdir(parents=True)
        (root / "DEBIAN/control").write_text(
            "Package: jq\nVersion: 99:1.0\nArchitecture: all\nMaintainer: probes <probes@example.invalid>\n"
            "Description: in-house jq wrapper\n"
        )
        tool = root / "usr/bin/jq"
        tool.write_text("#!/bin/sh\necho 'in-house jq 99'\n")
        tool.chmod(0o755)
        for path in [root, *root.rglob("*")]:
            os.utime(path, (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
        deb = target / "jq_1.0_all.deb"
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(FIXED_MTIME)}
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)],
            check=True,
            capture_output=True,
            env=env,
        )
    blob = deb.read_bytes()
    packages = (
        "Package: jq\nVersion: 99:1.0\nArchitecture: all\nMaintainer: probes <probes@example.invalid>\n"
        f"Filename: ./{deb.name}\nSize: {len(blob)}\nSHA256: {hashlib.sha256(blob).hexdigest()}\n"
        "Description: in-house jq wrapper\n\n"
    )
    (target / "Packages").write_text(packages)
    digest = hashlib.sha256(packages.encode()).hexdigest()
    (target / "Release").write_text(
        f"Origin: in-house\nLabel: in-house\nSuite: local\nCodename: local\nArchitectures: all amd64\n"
        f"SHA256:\n {digest} {len(packages.encode())} Packages\n"
    )


APK_STUB = r"""#!/bin/sh
# Stand-in for Alpine's apk (the build lab has no Alpine image): enough of `apk update`,
# `apk add [--no-cache] PKG...` and `apk del` to show where the index cache and packages go.
set -e
cmd=""; nocache=0; pkgs=""
for arg in "$@"; do
  case "$arg" in
    --no-cache) nocache=1 ;;
    -*) ;;
    *) if [ -z "$cmd" ]; then cmd=$arg; else pkgs="$pkgs $arg"; fi ;;
  esac
done
mkdir -p /lib/apk/db /var/cache/apk
touch /lib/apk/db/installed
case "$cmd" in
  update) echo "index $(date +%Y)" > /var/cache/apk/APKINDEX.00000000.tar.gz; echo "OK: 1 distinct packages available" ;;
  add)
    if [ "$nocache" = 0 ] && ! ls /var/cache/apk/APKINDEX.* >/dev/null 2>&1; then
      echo "ERROR: unable to select packages: run apk update first" >&2; exit 1
    fi
    for p in $pkgs; do echo "$p" >> /lib/apk/db/installed; [ "$nocache" = 1 ] || echo "$p" > "/var/cache/apk/$p.apk"; done ;;
  del) for p in $pkgs; do sed -i "/^$p\$/d" /lib/apk/db/installed; done ;;
  *) echo "apk: unknown command $cmd" >&2; exit 1 ;;
esac
"""


def put(relative: str, data: bytes, mode: int = 0o644) -> None:
    path = PROBES / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def offline() -> None:
    wheel = wheel_bytes()
    for probe, folder in [
        ("2-pip-find-links-relative", "wheels"),
        ("2-pip-find-links-absolute", "wheels"),
        ("2-pip-req-file-url", "vendor"),
        ("2-pip-config-file-env", "wheels"),
        ("2-uv-toml-find-links", "wheels"),
        ("2-do402-pip-config-file", "wheels"),
        ("2-pip-req-find-links-line", "wheels"),
        ("2-pip-env-find-links", "wheels"),
    ]:
        put(f"{probe}/{folder}/{WHEEL}", wheel)
    site = {"index.html": b"<h1>site</h1>\n", "assets/app.css": b"body{}\n"}
    put(
        "4-add-v7-tar/bundle.dat", v7_bytes({"bin/tool.sh": b"#!/bin/sh\necho tool\n", "README": b"bundle\n"})
    )
    put("4-add-gzip-v7-tar/payload.bin", gzip.compress(v7_bytes({"payload.txt": b"payload\n"}), mtime=0))
    put("4-add-ustar-odd-name/site.data", ustar_bytes(site))
    put("4-add-wildcard-mixed/conf/b.dat", v7_bytes({"extra.conf": b"extra=1\n"}))
    put(
        "4-control-add-directory/vendor/lib.tar.gz",
        gzip.compress(ustar_bytes({"lib.txt": b"lib\n"}), mtime=0),
    )
    repo = PROBES / "2-rootfs-apt-source/rootfs/opt/localrepo"
    shutil.rmtree(repo, ignore_errors=True)
    fake_jq_repo(repo)
    put("6-heredoc-apk/apk", APK_STUB.encode(), 0o755)


def with_engine() -> None:
    """npm's cache for the lock of ms@2.1.3, and the ms tarball for the yarn mirror (needs the registry)."""
    cache = PROBES / "2-npmrc-offline-cache/.npm-cache"
    mirror = PROBES / "2-yarnrc-offline-mirror/offline-mirror"
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(PROBES / "2-npmrc-offline-cache/package.json", scratch)
        shutil.copy(PROBES / "2-npmrc-offline-cache/package-lock.json", scratch)
        script = (
            "cd /w && npm ci --cache /w/cache --no-audit --no-fund >/dev/null && rm -rf /w/cache/_logs /w/node_modules"
            " && npm pack ms@2.1.3 --pack-destination /w >/dev/null && chmod -R a+rwX /w"
        )
        subprocess.run(
            [
                "docker",
                "run",
                "--rm",
                "--network",
                "host",
                "-v",
                f"{scratch}:/w",
                "node:18-slim",
                "sh",
                "-c",
                script,
            ],
            check=True,
        )
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(Path(scratch) / "cache", cache)
        other = PROBES / "2-npm-config-env-offline/.npm-cache"
        shutil.rmtree(other, ignore_errors=True)
        shutil.copytree(Path(scratch) / "cache", other)
        mirror.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(scratch) / "ms-2.1.3.tgz", mirror / "ms-2.1.3.tgz")


if __name__ == "__main__":
    offline()
    if "--engine" in sys.argv[1:]:
        with_engine()
    print("assets written under", PROBES)
