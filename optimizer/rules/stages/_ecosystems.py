"""What a stage builds: the build steps of each ecosystem, read from its RUN scripts.

A build step is a command that turns sources into an artifact with a tool the running program does
not need: ``go build``, ``gcc``/``g++``/``make``/``cmake``, ``cargo build``, ``javac``/``jar``,
``mvn package``/``gradle build``, ``npm run build``/``tsc``, and ``pip install`` after the stage
installed compilers or ``-dev`` packages. Each ecosystem gives the runtime twin's base and what the
twin must carry that the generic plan does not (a Go binary's static proof, a Python install tree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...shell import Command, Script, recognise, unwrap

# OS packages that only build: compilers, headers, build systems. A stage that installs one of these
# and then builds is what the split is for; the twin installs everything else the stage installed.
BUILD_PACKAGES = frozenset(
    {
        "build-essential", "gcc", "g++", "cpp", "make", "cmake", "ninja-build", "pkg-config", "pkgconf",
        "autoconf", "automake", "libtool", "binutils", "clang", "llvm", "musl-tools", "dpkg-dev",
        "python3-dev", "python-dev", "golang", "golang-go", "rustc", "cargo", "default-jdk",
        "default-jdk-headless", "maven", "gradle", "g++-12", "gcc-12", "swig", "bison", "flex", "gfortran",
    }
)  # fmt: skip
_JDK_PACKAGE = re.compile(r"^openjdk-\d+-jdk(-headless)?$")


def is_build_package(name: str) -> bool:
    return name in BUILD_PACKAGES or name.endswith("-dev") or bool(_JDK_PACKAGE.match(name))


@dataclass
class BuildStep:
    """One command that builds, and what it says about its output."""

    ecosystem: str  # "go", "c", "rust", "java", "node", "python"
    command: Command
    output: str | None = None  # ``-o FILE`` (go, gcc), relative to the command's directory
    static: bool = False  # go: CGO_ENABLED=0 in front of the command


@dataclass
class StageBuild:
    """The build steps of a stage and the OS packages it installed."""

    steps: list[BuildStep] = field(default_factory=list)
    apt_packages: list[str] = field(default_factory=list)  # every package apt-get installed, in order
    unknown_installs: bool = False  # an install list the rule cannot read ($PKGS, a file)
    other_managers: set[str] = field(default_factory=set)  # apk/yum/...: the twin cannot be derived
    python_installs: bool = False  # pip install of something (the python ecosystem's "build")
    npm_installs: bool = False

    @property
    def ecosystems(self) -> list[str]:
        seen: list[str] = []
        for step in self.steps:
            if step.ecosystem not in seen:
                seen.append(step.ecosystem)
        return seen

    @property
    def build_packages(self) -> list[str]:
        return [p for p in self.apt_packages if is_build_package(p)]

    @property
    def runtime_packages(self) -> list[str]:
        return [p for p in self.apt_packages if not is_build_package(p)]


_C_COMPILERS = frozenset({"gcc", "g++", "cc", "c++", "clang", "clang++", "make", "cmake", "ninja"})
_BUILD_SCRIPTS = frozenset({"build", "compile", "dist", "tsc"})


def _output(words: list[str | None]) -> str | None:
    for index, word in enumerate(words):
        if word == "-o" and index + 1 < len(words):
            return words[index + 1]
        if word and word.startswith("-o") and len(word) > 2 and not word.startswith("-o="):
            return word[2:]
    return None


def classify(command: Command) -> BuildStep | None:
    """The build step ``command`` is, or None."""
    start, _, env = unwrap(command)
    argv = command.argv[start:]
    if not argv or argv[0] is None:
        return None
    name = argv[0].rsplit("/", 1)[-1]
    rest = argv[1:]
    first = rest[0] if rest else None
    if name == "go" and first == "build":
        static = ("CGO_ENABLED", "0") in env
        return BuildStep("go", command, _output(rest[1:]), static)
    if name in _C_COMPILERS:
        return BuildStep("c", command, _output(rest) if name not in ("make", "cmake", "ninja") else None)
    if name == "cargo" and first in ("build", "install"):
        return BuildStep("rust", command)
    if name in ("javac", "jar"):
        return BuildStep("java", command)
    if name in ("mvn", "mvnw", "gradle", "gradlew") and any(
        goal in ("package", "install", "verify", "build", "assemble", "bootJar", "jar", "installDist")
        for goal in rest
    ):
        return BuildStep("java", command)
    if name == "tsc" or (name in ("npx", "pnpx") and first == "tsc"):
        return BuildStep("node", command)
    if name in ("npm", "yarn", "pnpm"):
        script = rest[1] if first == "run" and len(rest) > 1 else first
        if script in _BUILD_SCRIPTS or (script or "").startswith("build:"):
            return BuildStep("node", command)
    return None


def read_stage(scripts: list[Script | None]) -> tuple[StageBuild, bool]:
    """The stage's build (from its RUN scripts, in order) and whether every script could be read."""
    build = StageBuild()
    complete = True
    compilers = False
    for script in scripts:
        if script is None:
            complete = False
            continue
        for command in script.commands:
            step = classify(command)
            if step is not None:
                build.steps.append(step)
            invocation = recognise(command)
            if invocation is None:
                continue
            if invocation.manager in ("apt-get", "apt") and invocation.subcommand == "install":
                for package in invocation.packages:
                    if package is None or package.startswith(("./", "/")):
                        build.unknown_installs = True
                    else:
                        name = package.split("=", 1)[0]
                        build.apt_packages.append(name)
                        compilers = compilers or is_build_package(name)
            elif invocation.family in ("apk", "rpm", "zypper") and invocation.subcommand == "install":
                build.other_managers.add(invocation.manager)
            elif invocation.manager in ("pip", "uv") and invocation.subcommand in ("install", "pip install"):
                build.python_installs = True
                if compilers:
                    build.steps.append(BuildStep("python", command))
            elif invocation.manager == "npm" and invocation.subcommand in ("install", "ci"):
                build.npm_installs = True
    return build, complete
