"""The Docker image's layout, rebuilt from the Dockerfile's COPY and ENV lines, runs without the repo."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import kinds

HANDLER_DIR = Path(__file__).resolve().parents[1]
REPO = HANDLER_DIR.parent
DOCKERFILE = HANDLER_DIR / "Dockerfile"


def instructions():
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def copies():
    for keyword, rest in instructions():
        if keyword == "COPY":
            *sources, destination = rest.split()
            yield sources, destination


def image_env():
    (rest,) = [rest for keyword, rest in instructions() if keyword == "ENV"]
    return dict(pair.split("=", 1) for pair in rest.split())


def build_layout(root: Path) -> None:
    for sources, destination in copies():
        for source in sources:
            source_path, target = REPO / source, root / destination.lstrip("/")
            if destination.endswith("/"):
                target = target / source_path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source_path.is_dir():
                shutil.copytree(source_path, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source_path, target)


def test_the_image_layout_runs_a_job_with_its_own_copy_of_the_schema(tmp_path, s3, receiver, make_input):
    build_layout(tmp_path)
    env = image_env()
    assert env["EASEL_SCHEMA_DIR"] == "/easel/schema/json"
    assert sorted(p.name for p in (tmp_path / "easel/schema/json").iterdir()) == \
        sorted(p.name for p in (REPO / "schema/json").iterdir())
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
    environment.update(env, EASEL_ENGINE="cpu", EASEL_SCHEMA_DIR=str(tmp_path / "easel/schema/json"))
    run = subprocess.run([sys.executable, str(tmp_path / "easel/handler.py"), "--test_input",
                          json.dumps({"input": make_input(num_images=1)})],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert kinds(receiver)[-1] == "completed"


def test_the_build_context_lets_in_everything_the_image_copies():
    allowed = [line[1:] for line in (HANDLER_DIR / "Dockerfile.dockerignore").read_text().splitlines() if line.startswith("!")]
    for sources, _ in copies():
        for source in sources:
            assert source in allowed, f"{source} is copied but Dockerfile.dockerignore keeps it out"
