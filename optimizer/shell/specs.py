"""How each package manager's command line is laid out: which options take a value, the aliases of
its subcommands, and which subcommands have a second level (``go mod download``, ``yarn cache clean``).

A recogniser that does not know ``-o`` takes a value would read apt-get's ``-o Acquire::Retries=3``
as a package named ``Acquire::Retries=3``, so every option that takes a separate value word is
listed; boolean options need no entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    manager: str
    value_options: frozenset[str] = frozenset()  # take the next word as value unless written --x=y
    clusters: bool = False  # -qy means -q -y (getopt style)
    aliases: dict[str, str] = field(default_factory=dict)  # subcommand as written -> canonical
    groups: frozenset[str] = frozenset()  # subcommands with a second level: "cache" -> "cache clean"
    prefix_options: tuple[str, ...] = ()  # -Dkey=value, -Pprofile, -p:Prop=V: name is the prefix
    no_subcommand: bool = False  # mvn/gradle: positionals are goals/tasks; the first is `subcommand`
    default_subcommand: str | None = None  # `yarn` alone installs
    known_subcommands: frozenset[str] | None = None  # others run a package.json script (yarn, pnpm)
    subcommand_value_options: dict[str, frozenset[str]] = field(default_factory=dict)  # "env create": -f


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PIP_VALUES = _set(
    "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url -f --find-links "
    "-t --target --prefix --root --trusted-host --platform --python-version --implementation --abi "
    "--only-binary --no-binary --progress-bar --src --upgrade-strategy --cache-dir --log --timeout "
    "--retries --proxy -C --config-settings --global-option -d --dest -w --wheel-dir --python --report "
    "--exists-action --cert --client-cert --keyring-provider --use-feature --use-deprecated --build-option "
    "--log-file --format --group"
)
_RPM_VALUES = _set(
    "--installroot --releasever -x --exclude --enablerepo --disablerepo --setopt --repo --repoid "
    "-d --debuglevel -e --errorlevel --disableplugin --enableplugin -c --config --forcearch "
    "--downloaddir --destdir --repofrompath --comment --advisory --bz --cve --sec-severity"
)
_CONDA_VALUES = _set(
    "-c --channel -n --name -p --prefix --file --override-channels-file --repodata-fn --solver "
    "--subdir --platform -r --root-prefix --rc-file --log-level --experimental-repodata-parsing"
)
_CONDA_ENV_FILE = {"env create": _set("-f"), "env update": _set("-f")}  # elsewhere -f is --force
_NPM_ALIASES = {
    **dict.fromkeys(["i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"], "install"),
    **dict.fromkeys(["clean-install", "ic", "install-clean", "isntall-clean"], "ci"),
    **dict.fromkeys(["run-script", "rum", "urn"], "run"),
    **dict.fromkeys(["rm", "r", "un", "unlink", "remove"], "uninstall"),
    **dict.fromkeys(["up", "upgrade", "udpate"], "update"),
    "t": "test", "tst": "test", "x": "exec", "rb": "rebuild", "c": "config",
}  # fmt: skip

SPECS: dict[str, Spec] = {
    "apt-get": Spec(
        "apt-get",
        _set("-o --option -c --config-file -t --target-release --default-release -a --host-architecture"),
        clusters=True,
    ),
    "apt": Spec(
        "apt",
        _set("-o --option -c --config-file -t --target-release --default-release -a --host-architecture"),
        clusters=True,
    ),
    "apk": Spec(
        "apk",
        _set(
            "-t --virtual -X --repository -p --root --repositories-file --cache-dir --arch --keys-dir "
            "--cache-max-age --timeout"
        ),
        clusters=True,
        groups=_set("cache"),
    ),
    "yum": Spec("yum", _RPM_VALUES, clusters=True, aliases={"erase": "remove"}, groups=_set("group module")),
    "dnf": Spec("dnf", _RPM_VALUES, clusters=True, aliases={"erase": "remove"}, groups=_set("group module")),
    "microdnf": Spec("microdnf", _RPM_VALUES, clusters=True, groups=_set("module")),
    "zypper": Spec(
        "zypper",
        _set(
            "-R --root -D --reposd-dir -C --cache-dir --raw-cache-dir --solv-cache-dir --pkg-cache-dir "
            "-c --config -t --type -r --repo --from --download"
        ),
        clusters=True,
        aliases={
            "in": "install",
            "rm": "remove",
            "ref": "refresh",
            "up": "update",
            "dup": "dist-upgrade",
            "cc": "clean",
            "se": "search",
            "ar": "addrepo",
            "rr": "removerepo",
            "lr": "repos",
            "if": "info",
            "ve": "verify",
        },
    ),
    "pip": Spec("pip", _PIP_VALUES, clusters=True, groups=_set("cache config")),
    "uv": Spec(
        "uv",
        _PIP_VALUES
        | _set("-p --python-platform --extra --package --with --directory --project -o --output-file"),
        groups=_set("pip tool python cache"),
    ),
    "npm": Spec(
        "npm",
        _set(
            "--prefix -w --workspace --omit --include --registry --cache --loglevel --tag --userconfig "
            "--only --install-strategy --otp --access"
        ),
        aliases=_NPM_ALIASES,
        groups=_set("cache config"),
    ),
    "yarn": Spec(
        "yarn",
        _set(
            "--cwd --network-timeout --modules-folder --cache-folder --mutex --registry --global-folder "
            "--network-concurrency --link-folder"
        ),
        groups=_set("cache global config workspaces"),
        default_subcommand="install",
        known_subcommands=_set(
            "install add remove upgrade upgrade-interactive run cache global config info init link unlink "
            "list outdated pack publish test version why workspace workspaces audit autoclean bin check "
            "create dlx exec generate-lock-entry import licenses login logout node owner policies prune "
            "tag team set plugin up dedupe explain npm patch rebuild stage unplug"
        ),
    ),
    "pnpm": Spec(
        "pnpm",
        _set(
            "-C --dir --filter -F --store-dir --reporter --loglevel --virtual-store-dir --modules-dir "
            "--config.node-linker --node-linker --registry"
        ),
        aliases={
            "i": "install",
            "rm": "remove",
            "un": "remove",
            "uninstall": "remove",
            "up": "update",
            "upgrade": "update",
            "it": "install-test",
            "run-script": "run",
            "ln": "link",
        },
        groups=_set("store env config"),
        known_subcommands=_set(
            "install add remove update run fetch store exec dlx test install-test link unlink prune "
            "rebuild import outdated list ls why audit publish pack deploy env config create init setup "
            "patch patch-commit server licenses root bin start"
        ),
    ),
    "gem": Spec(
        "gem",
        _set(
            "-v --version -i --install-dir -n --bindir -P --trust-policy --platform -s --source "
            "--build-root -g --file"
        ),
        aliases={"i": "install"},
        groups=_set("sources"),
    ),
    "bundler": Spec(
        "bundler",
        _set("-j --jobs --retry --path --without --with --gemfile --binstubs --standalone --trust-policy"),
        groups=_set("config"),
    ),
    "composer": Spec(
        "composer",
        _set("-d --working-dir --prefer-install --apcu-autoloader-prefix --ignore-platform-req --stability"),
        clusters=True,
        aliases={
            "i": "install",
            "u": "update",
            "upgrade": "update",
            "r": "require",
            "dumpautoload": "dump-autoload",
            "run": "run-script",
            "clearcache": "clear-cache",
            "cc": "clear-cache",
        },
        groups=_set("global"),
    ),
    "conda": Spec(
        "conda",
        _CONDA_VALUES,
        clusters=True,
        aliases={"uninstall": "remove", "upgrade": "update"},
        groups=_set("env config"),
        subcommand_value_options=_CONDA_ENV_FILE,
    ),
    "mamba": Spec(
        "mamba",
        _CONDA_VALUES,
        clusters=True,
        aliases={"uninstall": "remove", "upgrade": "update"},
        groups=_set("env config"),
        subcommand_value_options=_CONDA_ENV_FILE,
    ),
    "micromamba": Spec(
        "micromamba",
        _CONDA_VALUES | _set("-f"),  # micromamba's -f is --file everywhere
        clusters=True,
        aliases={"uninstall": "remove", "upgrade": "update"},
        groups=_set("env config"),
    ),
    "go": Spec(
        "go",
        _set(
            "-o -ldflags -gcflags -asmflags -tags -p -C -mod -modfile -buildmode -compiler -installsuffix "
            "-pkgdir -toolexec -overlay -pgo -covermode -coverpkg -exec -run -timeout -count -bench -f "
            "-vettool -coverprofile -cpu -parallel -skip"
        ),
        groups=_set("mod work tool"),
    ),
    "mvn": Spec(
        "mvn",
        _set(
            "-f --file -s --settings -gs --global-settings -pl --projects -rf --resume-from -T --threads "
            "-P --activate-profiles -l --log-file -t --toolchains -b --builder -D --define"
        ),
        prefix_options=("-D", "-P", "-T"),
        no_subcommand=True,
    ),
    "gradle": Spec(
        "gradle",
        _set(
            "-x --exclude-task -p --project-dir -b --build-file -c --settings-file -g --gradle-user-home "
            "-I --init-script --console --max-workers --priority --warning-mode -D --system-prop "
            "-P --project-prop --include-build -M --write-verification-metadata "
            "--project-cache-dir"
        ),
        prefix_options=("-D", "-P"),
        no_subcommand=True,
    ),
    "cargo": Spec(
        "cargo",
        _set(
            "--target -p --package --bin --example --test --bench --features -F -j --jobs --manifest-path "
            "--root --path --target-dir --profile --config -Z --git --branch --tag --rev --version --vers "
            "--index --registry --color --message-format --exclude --lockfile-path"
        ),
    ),
    "dotnet": Spec(
        "dotnet",
        _set(
            "-c --configuration -o --output -r --runtime -f --framework -s --source -v --verbosity "
            "-a --arch --os --version-suffix --packages --configfile -p --property "
            "-l --logger --settings --filter --results-directory --artifacts-path"
        ),
        prefix_options=("-p:", "/p:", "-property:", "/property:"),
        groups=_set("tool nuget workload new"),
    ),
}


def spec(manager: str) -> Spec:
    return SPECS[manager]
