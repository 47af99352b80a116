"""Package-manager recognisers, on command lines taken from ../shared/corpus/real/*/Dockerfile."""

from __future__ import annotations

import pytest

from optimizer.shell import find, invocations, parse_script, recognise


def _one(line: str):
    found = invocations(parse_script(line))
    assert len(found) == 1, [i.command.text for i in found]
    return found[0]


# (command line, manager, subcommand, options as (name, value) in order, positional values)
CASES = [
    # apt-get / apt
    ("apt-get update", "apt-get", "update", [], []),
    ("apt-get install -y --no-install-recommends ca-certificates curl", "apt-get", "install",
     [("-y", None), ("--no-install-recommends", None)], ["ca-certificates", "curl"]),
    ("apt-get -q install --no-install-recommends -y ca-certificates git", "apt-get", "install",
     [("-q", None), ("--no-install-recommends", None), ("-y", None)], ["ca-certificates", "git"]),
    ("apt-get autoremove --purge -yq dirmngr gnupg2", "apt-get", "autoremove",
     [("--purge", None), ("-y", None), ("-q", None)], ["dirmngr", "gnupg2"]),
    ("apt-get -qq clean", "apt-get", "clean", [("-q", None), ("-q", None)], []),
    ("apt-get -o Acquire::GzipIndexes=false update", "apt-get", "update",
     [("-o", "Acquire::GzipIndexes=false")], []),
    ("apt-get purge -y --auto-remove -o APT::AutoRemove::RecommendsImportant=false $buildDeps '*-dev'",
     "apt-get", "purge",
     [("-y", None), ("--auto-remove", None), ("-o", "APT::AutoRemove::RecommendsImportant=false")],
     [None, "*-dev"]),
    ("apt-get install --yes -qq --no-install-recommends unit=1.33.0-1~noble", "apt-get", "install",
     [("--yes", None), ("-q", None), ("-q", None), ("--no-install-recommends", None)], ["unit=1.33.0-1~noble"]),
    ("apt --yes --no-install-recommends install ./apprise.deb python3-paho-mqtt", "apt", "install",
     [("--yes", None), ("--no-install-recommends", None)], ["./apprise.deb", "python3-paho-mqtt"]),
    ("apt-get dist-clean", "apt-get", "dist-clean", [], []),
    # apk
    ("apk add --no-cache --virtual .build-deps gcc libc-dev make", "apk", "add",
     [("--no-cache", None), ("--virtual", ".build-deps")], ["gcc", "libc-dev", "make"]),
    ("apk --update --no-cache add mkcert@testing ca-certificates", "apk", "add",
     [("--update", None), ("--no-cache", None)], ["mkcert@testing", "ca-certificates"]),
    ('apk add -X "https://nginx.org/packages/alpine/v3/main" --no-cache $nginxPackages', "apk", "add",
     [("-X", "https://nginx.org/packages/alpine/v3/main"), ("--no-cache", None)], [None]),
    ("apk add --update-cache --virtual .fetch-deps cosign", "apk", "add",
     [("--update-cache", None), ("--virtual", ".fetch-deps")], ["cosign"]),
    ("apk del --no-network .build-deps", "apk", "del", [("--no-network", None)], [".build-deps"]),
    ("apk add -q --no-cache libgcc tini curl", "apk", "add", [("-q", None), ("--no-cache", None)],
     ["libgcc", "tini", "curl"]),
    ("apk update", "apk", "update", [], []),
    # yum / dnf / microdnf
    ("yum --disableplugin=subscription-manager install -y iputils", "yum", "install",
     [("--disableplugin", "subscription-manager"), ("-y", None)], ["iputils"]),
    ("yum -y --setopt=tsflags=nodocs install $INSTALL_PKGS", "yum", "install",
     [("-y", None), ("--setopt", "tsflags=nodocs")], [None]),
    ("yum -y clean all --enablerepo='*'", "yum", "clean", [("-y", None), ("--enablerepo", "*")], ["all"]),
    ("yum -y module enable python36:3.6 httpd:2.4", "yum", "module enable", [("-y", None)],
     ["python36:3.6", "httpd:2.4"]),
    ("dnf install -y make tar unzip", "dnf", "install", [("-y", None)], ["make", "tar", "unzip"]),
    ("dnf clean all", "dnf", "clean", [], ["all"]),
    ("microdnf -y --setopt=tsflags=nodocs --setopt=install_weak_deps=0 install $INSTALL_PKGS", "microdnf",
     "install", [("-y", None), ("--setopt", "tsflags=nodocs"), ("--setopt", "install_weak_deps=0")], [None]),
    ("microdnf clean all", "microdnf", "clean", [], ["all"]),
    # zypper
    ("zypper -n install iputils iproute2", "zypper", "install", [("-n", None)], ["iputils", "iproute2"]),
    ("zypper -n ref", "zypper", "refresh", [("-n", None)], []),
    ("zypper --non-interactive in --no-recommends curl", "zypper", "install",
     [("--non-interactive", None), ("--no-recommends", None)], ["curl"]),
    ("zypper clean --all", "zypper", "clean", [("--all", None)], []),
    # pip
    ("pip install --no-cache-dir -r /tmp/requirements-dev.txt", "pip", "install",
     [("--no-cache-dir", None), ("-r", "/tmp/requirements-dev.txt")], []),
    ("pip3 install --disable-pip-version-check --no-cache-dir --no-compile 'setuptools==79.0.1' 'wheel<0.46'",
     "pip", "install", [("--disable-pip-version-check", None), ("--no-cache-dir", None), ("--no-compile", None)],
     ["setuptools==79.0.1", "wheel<0.46"]),
    ("pip install -v --no-cache-dir --extra-index-url=https://pypi.nvidia.com --index-url "
     "'https://download.pytorch.org/whl/cu128' 'torch'", "pip", "install",
     [("-v", None), ("--no-cache-dir", None), ("--extra-index-url", "https://pypi.nvidia.com"),
      ("--index-url", "https://download.pytorch.org/whl/cu128")], ["torch"]),
    ("/venv/bin/pip install --upgrade pip setuptools wheel", "pip", "install", [("--upgrade", None)],
     ["pip", "setuptools", "wheel"]),
    ("${APP_ROOT}/bin/pip install -c constraints.txt -e .", "pip", "install",
     [("-c", "constraints.txt"), ("-e", ".")], []),
    ("python3 -m pip install --user .", "pip", "install", [("--user", None)], ["."]),
    ("python -W ignore -m pip install -U pip", "pip", "install", [("-U", None)], ["pip"]),
    ("python3.12 -u -m pip wheel -w /wheels -r requirements.txt", "pip", "wheel",
     [("-w", "/wheels"), ("-r", "requirements.txt")], []),
    ("pip3.11 download -d /pkgs numpy", "pip", "download", [("-d", "/pkgs")], ["numpy"]),
    ("pip uninstall -y six", "pip", "uninstall", [("-y", None)], ["six"]),
    ("pip cache purge", "pip", "cache purge", [], []),
    ("uv pip install --system --no-build -r homeassistant/requirements.txt", "uv", "pip install",
     [("--system", None), ("--no-build", None), ("-r", "homeassistant/requirements.txt")], []),
    # npm / yarn / pnpm
    ("npm ci --omit=dev", "npm", "ci", [("--omit", "dev")], []),
    ("npm install -g @angular/cli@13", "npm", "install", [("-g", None)], ["@angular/cli@13"]),
    ("npm i --production", "npm", "install", [("--production", None)], []),
    ("npm run build", "npm", "run", [], ["build"]),
    ("npm cache clean --force", "npm", "cache clean", [("--force", None)], []),
    ("yarn install --frozen-lockfile", "yarn", "install", [("--frozen-lockfile", None)], []),
    ("yarn", "yarn", "install", [], []),
    ("yarn add npm-run-all dotenv", "yarn", "add", [], ["npm-run-all", "dotenv"]),
    ("yarn cache clean", "yarn", "cache clean", [], []),
    ("yarn global add @vue/cli", "yarn", "global add", [], ["@vue/cli"]),
    ("yarn build-docker", "yarn", "run", [], ["build-docker"]),
    ("yarn config set network-timeout 300000", "yarn", "config set", [], ["network-timeout", "300000"]),
    ("pnpm install --frozen-lockfile --prod", "pnpm", "install", [("--frozen-lockfile", None), ("--prod", None)], []),
    ("pnpm i", "pnpm", "install", [], []),
    ("pnpm --filter web build", "pnpm", "run", [("--filter", "web")], ["build"]),
    ("pnpm store prune", "pnpm", "store prune", [], []),
    # gem / bundler / composer
    ("gem install oj -v 3.16.1", "gem", "install", [("-v", "3.16.1")], ["oj"]),
    ("gem install bundler --no-document", "gem", "install", [("--no-document", None)], ["bundler"]),
    ("bundle config set --local without 'test development'", "bundler", "config set", [("--local", None)],
     ["without", "test development"]),
    ("bundle install --jobs 4 --retry 3", "bundler", "install", [("--jobs", "4"), ("--retry", "3")], []),
    ("composer install --no-cache --prefer-dist --no-dev --no-autoloader --no-scripts --no-progress", "composer",
     "install", [("--no-cache", None), ("--prefer-dist", None), ("--no-dev", None), ("--no-autoloader", None),
                 ("--no-scripts", None), ("--no-progress", None)], []),
    ("composer dump-autoload --classmap-authoritative --no-dev", "composer", "dump-autoload",
     [("--classmap-authoritative", None), ("--no-dev", None)], []),
    ("composer dumpautoload -o", "composer", "dump-autoload", [("-o", None)], []),
    ("php composer.phar install --no-dev", "composer", "install", [("--no-dev", None)], []),
    # conda / mamba / micromamba
    ("mamba install --yes 'jupyterhub-singleuser==5.2.1'", "mamba", "install", [("--yes", None)],
     ["jupyterhub-singleuser==5.2.1"]),
    ("mamba clean --all -f -y", "mamba", "clean", [("--all", None), ("-f", None), ("-y", None)], []),
    ("conda clean -afy", "conda", "clean", [("-a", None), ("-f", None), ("-y", None)], []),
    ("conda install -y -c conda-forge numpy", "conda", "install", [("-y", None), ("-c", "conda-forge")], ["numpy"]),
    ("mamba install --yes --file /tmp/requirements.txt", "mamba", "install",
     [("--yes", None), ("--file", "/tmp/requirements.txt")], []),
    ('micromamba install --root-prefix="${CONDA_DIR}" --yes conda', "micromamba", "install",
     [("--root-prefix", None), ("--yes", None)], ["conda"]),
    ("micromamba create -y -n env -f environment.yml", "micromamba", "create",
     [("-y", None), ("-n", "env"), ("-f", "environment.yml")], []),
    ("conda env create -f environment.yml", "conda", "env create", [("-f", "environment.yml")], []),
    ("mamba env update -n base -f env.yml", "mamba", "env update", [("-n", "base"), ("-f", "env.yml")], []),
    # go
    ("go mod download", "go", "mod download", [], []),
    ("go build -mod=vendor -o /usr/bin/buildctl ./cmd/buildctl", "go", "build",
     [("-mod", "vendor"), ("-o", "/usr/bin/buildctl")], ["./cmd/buildctl"]),
    ('go build -ldflags "-s -w" -trimpath -o app .', "go", "build",
     [("-ldflags", "-s -w"), ("-trimpath", None), ("-o", "app")], ["."]),
    ("go install golang.org/x/vuln/cmd/govulncheck@latest", "go", "install", [],
     ["golang.org/x/vuln/cmd/govulncheck@latest"]),
    # mvn / gradle
    ("mvn dependency:go-offline", "mvn", "dependency:go-offline", [], []),
    ("mvn --batch-mode clean compile assembly:single", "mvn", "clean", [("--batch-mode", None)],
     ["compile", "assembly:single"]),
    ("./mvnw -B package -DskipTests -Pprod -T 1C", "mvn", "package",
     [("-B", None), ("-D", "skipTests"), ("-P", "prod"), ("-T", "1C")], []),
    ("gradle build -x test --no-daemon", "gradle", "build", [("-x", "test"), ("--no-daemon", None)], []),
    ("./gradlew clean bootJar -Dorg.gradle.jvmargs=-Xmx2g", "gradle", "clean",
     [("-D", "org.gradle.jvmargs=-Xmx2g")], ["bootJar"]),
    # cargo / dotnet
    ("cargo build --release -p meilisearch -p meilitool", "cargo", "build",
     [("--release", None), ("-p", "meilisearch"), ("-p", "meilitool")], []),
    ("cargo build --target wasm32-wasi --release", "cargo", "build",
     [("--target", "wasm32-wasi"), ("--release", None)], []),
    ("cargo fetch", "cargo", "fetch", [], []),
    ('dotnet publish "aspnetapp.csproj" -c Release -o /app/publish', "dotnet", "publish",
     [("-c", "Release"), ("-o", "/app/publish")], ["aspnetapp.csproj"]),
    ("dotnet restore -r linux-musl-x64 /p:PublishReadyToRun=true", "dotnet", "restore",
     [("-r", "linux-musl-x64"), ("/p", "PublishReadyToRun=true")], []),
    ("dotnet build -p:Version=1.2 --no-restore", "dotnet", "build", [("-p", "Version=1.2"), ("--no-restore", None)], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "manager", "subcommand", "options", "args"), CASES, ids=[c[0][:60] for c in CASES]
)
def test_invocation(line, manager, subcommand, options, args):
    invocation = _one(line)
    assert invocation.manager == manager
    assert invocation.subcommand == subcommand
    assert [(o.name, o.value) for o in invocation.options] == options
    assert invocation.packages == args
    assert invocation.flags == {name for name, _ in options}


@pytest.mark.parametrize(
    ("line", "wrappers", "env"),
    [
        pytest.param(
            "DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata",
            [],
            [("DEBIAN_FRONTEND", "noninteractive")],
            id="env-prefix",
        ),
        pytest.param("sudo -E apt-get install -y git", ["sudo"], [], id="sudo"),
        pytest.param("sudo -u app pip install x", ["sudo"], [], id="sudo-user"),
        pytest.param(
            "env DEBIAN_FRONTEND=noninteractive apt-get install -y git",
            ["env"],
            [("DEBIAN_FRONTEND", "noninteractive")],
            id="env",
        ),
        pytest.param("command apt-get install -y git", ["command"], [], id="command"),
        pytest.param("nice -n 10 apt-get install -y git", ["nice"], [], id="nice"),
        pytest.param(
            "sudo env A=1 nice apt-get install -y git", ["sudo", "env", "nice"], [("A", "1")], id="stacked"
        ),
        pytest.param("eatmydata apt-get install -y git", ["eatmydata"], [], id="eatmydata"),
        pytest.param("timeout 600 apt-get install -y git", ["timeout"], [], id="timeout"),
        pytest.param("gosu app pip install x", ["gosu"], [], id="gosu"),
    ],
)
def test_wrappers(line, wrappers, env):
    invocation = _one(line)
    assert invocation.subcommand == "install"
    assert [w.value for w in invocation.wrappers] == wrappers
    assert invocation.env == env


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("command -v apt-get", id="command-v-lookup"),
        pytest.param("which pip", id="which"),
        pytest.param("echo apt-get install", id="echo"),
        pytest.param("python3 -c 'import pip'", id="python-c"),
        pytest.param("python3 -m venv /venv", id="python-m-other"),
        pytest.param("apt-mark auto '.*'", id="apt-mark"),
        pytest.param("$PKG install x", id="dynamic-name"),
    ],
)
def test_not_an_invocation(line):
    assert invocations(parse_script(line)) == []


@pytest.mark.parametrize(
    ("line", "subcommand"),
    [
        pytest.param("pip3 --version", None, id="pip-version"),
        pytest.param("yarn --version", None, id="yarn-version"),
        pytest.param("apk --print-arch", None, id="apk-print-arch"),
        pytest.param("npm", None, id="npm-bare"),
    ],
)
def test_no_subcommand(line, subcommand):
    assert _one(line).subcommand == subcommand


def test_insertion_points():
    text = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl && go mod download"
    script = parse_script(text)
    update, install, go = invocations(script)
    assert text[: update.insert_at] == "apt-get update"
    assert text[: install.insert_at].endswith("apt-get install")
    assert text[install.end :].startswith(" && go")
    assert text[: go.insert_at] == text  # after "mod download"
    assert install.command.text == "DEBIAN_FRONTEND=noninteractive apt-get install -y curl"
    assert [w.value for w in install.subcommand_words] == ["install"]
    assert [w.value for w in install.program] == ["apt-get"]


def test_python_m_pip_program_words():
    invocation = _one("python3 -m pip install --no-cache-dir flask")
    assert [w.value for w in invocation.program] == ["python3", "-m", "pip"]
    assert invocation.has("--no-cache-dir")
    assert not invocation.has("-q", "--quiet")
    assert invocation.value("--no-cache-dir") is None


def test_find_and_families():
    script = parse_script("apt-get update && apt install -y a && pip install b && npm ci && yarn")
    assert [i.command.text for i in find(script, "apt-get", "update")] == ["apt-get update"]
    assert [i.manager for i in invocations(script, ["apt"])] == ["apt-get", "apt"]  # family "apt"
    assert [i.manager for i in invocations(script, ["node"])] == ["npm", "yarn"]
    assert [i.family for i in invocations(script)] == ["apt", "apt", "pip", "node", "node"]


def test_recognise_single_command():
    command = parse_script("apk add --no-cache curl").commands[0]
    invocation = recognise(command)
    assert invocation is not None and invocation.command is command
    assert invocation.value("--virtual") is None


def test_the_name_table_is_asked_first_safely():
    """``_identify`` answers from ``_NAMES`` before its pip/python/php patterns, and skips those patterns
    for names not starting with ``p``: both shortcuts hold only while these do."""
    from optimizer.shell.managers import _NAMES, _PIP_RE, _PYTHON_RE

    assert not [name for name in _NAMES if _PIP_RE.match(name) or _PYTHON_RE.match(name) or name == "php"]
    # every name the patterns match starts with p (change the shortcut with them)
    assert _PIP_RE.pattern.startswith("^pip") and _PYTHON_RE.pattern.startswith("^(python|pypy)")
