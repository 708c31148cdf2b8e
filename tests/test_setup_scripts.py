"""The self-hosting path and the test suite's own safety net, checked without Docker or the network.

- ``scripts/setup.sh`` asks for CPU torch explicitly (the pip commands it would run, not their resolution:
  PyTorch's index cannot be reached from CI);
- the image's entrypoint takes commands with and without an ``essaybot`` prefix;
- ``docker-compose.yml`` is valid for the Compose that can be installed here, and its header agrees with
  the README on the token file's owner and mode;
- what must never be committed is ignored by git;
- the bench scripts say which interpreter they need;
- ``essaybot eval`` runs on the project's own question files when given none;
- the suite ignores the developer's settings, and in CI refuses to run without ../shared.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.eval import default_question_files
from bot.cli.main import main
from bot.config import load_settings

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Generous: these only guard against a hang, never measure speed.
TIMEOUT = 300


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


# --- scripts/setup.sh ----------------------------------------------------------------------------------


def setup_commands(tmp_path: Path, **env: str) -> list[list[str]]:
    """The commands ``setup.sh --print`` would run, from a copy of the script in an empty folder."""
    (tmp_path / "scripts").mkdir(exist_ok=True)
    script = tmp_path / "scripts" / "setup.sh"
    shutil.copy(REPO / "scripts" / "setup.sh", script)
    clean = {k: v for k, v in os.environ.items() if k != "ESSAYBOT_TORCH_INDEX"}
    done = subprocess.run(
        ["bash", str(script), "--print"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".venv").exists()  # --print changes nothing
    return [shlex.split(line) for line in done.stdout.splitlines()]


def pip_install(commands: list[list[str]], requirement: str) -> list[str]:
    """The one ``pip install`` command for ``requirement`` (torch's own, or the project's)."""
    found = [c for c in commands if c[1:4] == ["-m", "pip", "install"] and requirement in c]
    found = [c for c in found if requirement == ".[dev]" or ".[dev]" not in c]
    assert len(found) == 1, commands
    return found[0]


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_setup_takes_torch_from_the_cpu_index_only(tmp_path: Path) -> None:
    commands = setup_commands(tmp_path)
    torch = pip_install(commands, "torch==2.13.0")
    # The CPU index is the only index of the torch command: PyPI alone (or beside it, as an extra
    # index) resolves torch==2.13.0 to the CUDA build.
    assert option(torch, "--index-url") == CPU_INDEX
    assert "--extra-index-url" not in torch and "--find-links" not in torch
    # Everything else comes from the default index, torch pinned so nothing replaces the CPU build.
    project = pip_install(commands, ".[dev]")
    assert "-e" in project and "torch==2.13.0" in project
    assert not {"--index-url", "--extra-index-url", "--find-links"} & set(project)
    assert commands.index(torch) < commands.index(project)
    assert not any("--extra-index-url" in c for c in commands)


def test_setup_torch_source_can_be_a_mirror_or_a_wheel_folder(tmp_path: Path) -> None:
    mirror = "https://mirror.example.org/pytorch/whl/cpu"
    torch = pip_install(setup_commands(tmp_path, ESSAYBOT_TORCH_INDEX=mirror), "torch==2.13.0")
    assert option(torch, "--index-url") == mirror and "--find-links" not in torch

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    torch = pip_install(setup_commands(tmp_path, ESSAYBOT_TORCH_INDEX=str(wheels)), "torch==2.13.0")
    assert option(torch, "--find-links") == str(wheels) and "--index-url" not in torch


def test_setup_rejects_unknown_arguments() -> None:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh"), "--dry"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.strip() == "usage: bash scripts/setup.sh [--print]"


# --- the image's entrypoint ------------------------------------------------------------------------------


def entrypoint(*args: str) -> subprocess.CompletedProcess[str]:
    """scripts/docker-entrypoint.sh as the image runs it: /bin/sh, essaybot on PATH."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["sh", str(REPO / "scripts" / "docker-entrypoint.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize("args", [["--version"], ["who-said", "--help"]])
def test_entrypoint_accepts_the_command_with_or_without_the_essaybot_prefix(args: list[str]) -> None:
    bare = entrypoint(*args)
    prefixed = entrypoint("essaybot", *args)
    assert bare.returncode == prefixed.returncode == 0, bare.stderr + prefixed.stderr
    assert bare.stdout == prefixed.stdout and bare.stdout.strip()


def test_entrypoint_still_reports_unknown_commands() -> None:
    done = entrypoint("essaybot", "no-such-command")
    assert done.returncode == 2 and "No such command 'no-such-command'" in done.stderr


def test_image_uses_the_entrypoint_script() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY --chmod=0755 scripts/docker-entrypoint.sh /usr/local/bin/essaybot-entrypoint" in dockerfile
    assert 'ENTRYPOINT ["/usr/local/bin/essaybot-entrypoint"]' in dockerfile
    # The build context is an allow-list: the script must be on it.
    assert "!scripts/docker-entrypoint.sh" in (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert os.access(REPO / "scripts" / "docker-entrypoint.sh", os.X_OK)


# --- Docker Compose --------------------------------------------------------------------------------------


def compose_command() -> list[str]:
    """Compose v2 (`docker compose`) or v1 (`docker-compose`): whichever is installed."""
    docker = shutil.which("docker")
    if docker:
        v2 = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        if v2.returncode == 0:
            return [docker, "compose"]
    v1 = shutil.which("docker-compose")
    if v1:
        return [v1]
    reason = "no Docker Compose installed (Debian: apt-get install docker-compose)"
    if _ci():
        pytest.fail(f"{reason}; .ci/run installs it")
    pytest.skip(reason)


def compose_config(tmp_path: Path, *files: str) -> dict[str, object]:
    """`compose config` on copies of the project's Compose files, away from any local .env."""
    for name in files:
        shutil.copy(REPO / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "POSTGRES_"))}
    args = [arg for name in files for arg in ("-f", name)]
    done = subprocess.run(
        [*compose_command(), *args, "config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert isinstance(config, dict)
    return config


def test_compose_file_is_valid(tmp_path: Path) -> None:
    services = compose_config(tmp_path, "docker-compose.yml")["services"]
    assert isinstance(services, dict) and set(services) == {"bot"}
    assert "depends_on" not in services["bot"]


def test_compose_postgres_addition_is_valid(tmp_path: Path) -> None:
    services = compose_config(tmp_path, "docker-compose.yml", "docker-compose.postgres.yml")["services"]
    assert isinstance(services, dict) and set(services) == {"bot", "postgres"}
    assert services["bot"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["bot"]["read_only"] is True  # the addition keeps the bot's own settings


def test_compose_header_gives_the_token_file_to_the_bot_user() -> None:
    """chmod 600 without chown leaves the file unreadable for UID 10001: a restart loop, exit 2."""
    header = (REPO / "docker-compose.yml").read_text(encoding="utf-8").split("\nservices:")[0]
    assert "sudo chown 10001:10001 secrets/discord_token && sudo chmod 400 secrets/discord_token" in header
    assert "chmod 600" not in header


# --- git -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["secrets/discord_token", ".env", "essaybot.toml", "data/essaybot.db", "essaybot-data/essaybot.db"],
)
def test_secrets_and_data_are_ignored_by_git(path: str) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to check .gitignore")
    done = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", "-q", path], timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{path} is not ignored"


# --- bench scripts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "bench").glob("*.py")))
def test_bench_script_names_the_interpreter_it_needs(script: str) -> None:
    # -S: no site-packages, so essaybot cannot be imported, as under a Python outside .venv.
    done = subprocess.run(
        [sys.executable, "-S", str(REPO / "bench" / script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"run .venv/bin/python bench/{script}" in done.stderr


# --- essaybot eval ---------------------------------------------------------------------------------------


def test_eval_defaults_to_the_projects_own_question_files() -> None:
    data = REPO / "tests" / "data"
    files = default_question_files()
    assert data / "own_who_said.jsonl" in files and data / "own_compare.jsonl" in files
    # Every question file of the project but the held-out ones, which are scored only when named.
    assert files == tuple(p for p in sorted(data.glob("*.jsonl")) if not p.name.startswith("heldout"))
    assert all(not p.name.startswith("heldout") for p in files)


def test_eval_without_files_goes_on_to_the_evaluation(tmp_path: Path) -> None:
    """No "Missing argument 'FILES...'": eval goes on to open the data directory (a file here, so it
    stops there in one line instead of running the whole evaluation)."""
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["--data-dir", str(not_a_dir), "eval"])
    assert result.exit_code == 2, result.output
    assert "Missing argument" not in result.output
    assert result.output.startswith("error: ") and str(not_a_dir) in result.output


def test_eval_tune_needs_named_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "eval", "--tune"])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --tune needs the question FILES to fit on"


# --- the suite's own isolation and CI rule ---------------------------------------------------------------


def test_settings_inside_the_suite_are_the_defaults(tmp_path: Path) -> None:
    """Run by the test below in a hostile environment; here it also checks the normal run."""
    settings = load_settings(None, data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'essaybot.db').as_posix()}"
    assert settings.top_k == 5 and settings.discord_token is None
    assert not Path("essaybot.toml").exists()


def test_a_hostile_environment_and_essaybot_toml_do_not_reach_the_tests(tmp_path: Path) -> None:
    hostile_db = tmp_path / "developer" / "production.db"
    (tmp_path / "essaybot.toml").write_text(
        f'database_url = "sqlite:///{hostile_db.as_posix()}"\ntop_k = 9\n', encoding="utf-8"
    )
    env = {
        **os.environ,
        "ESSAYBOT_DATABASE_URL": f"sqlite:///{hostile_db.as_posix()}",
        "ESSAYBOT_TOP_K": "7",
        "DISCORD_TOKEN": "not-a-token",
    }
    env.pop("PYTEST_ADDOPTS", None)
    # The control: outside the suite, the file and the variables do take effect.
    show = "from bot.config import load_settings; s = load_settings(); print(s.top_k, s.database_url)"
    for control_env, top_k in ((env, "7"), ({k: v for k, v in env.items() if k != "ESSAYBOT_TOP_K"}, "9")):
        control = subprocess.run(
            [sys.executable, "-c", show],
            cwd=tmp_path,
            env=control_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert control.stdout.split() == [top_k, f"sqlite:///{hostile_db.as_posix()}"], control.stderr
    probe = f"{Path(__file__).resolve()}::test_settings_inside_the_suite_are_the_defaults"
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert inner.returncode == 0, inner.stdout + inner.stderr
    assert "1 passed" in inner.stdout
    assert not hostile_db.exists()


def test_ci_fails_instead_of_skipping_without_shared(tmp_path: Path) -> None:
    """A checkout with nothing beside it: skips for a user, a failed run in CI."""
    checkout = tmp_path / "checkout"
    (checkout / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", checkout / "tests" / "conftest.py")
    (checkout / "tests" / "test_probe.py").write_text("def test_probe() -> None:\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(checkout)],
            cwd=checkout,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    user = run()
    assert user.returncode == 0, user.stdout + user.stderr
    ci = run(CI="true")
    assert ci.returncode == 1
    assert "CI needs the shared inputs beside the checkout" in ci.stdout + ci.stderr
    assert str(tmp_path / "shared" / "seeds") in ci.stdout + ci.stderr
