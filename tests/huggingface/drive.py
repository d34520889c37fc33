"""Drive the unmodified `huggingface_hub` client against a hub; run by .venv-hf's Python.

    HF_ENDPOINT=http://127.0.0.1:PORT HF_HOME=… .venv-hf/bin/python tests/huggingface/drive.py \
      < steps.json

stdin: {"steps": [{"call": "hf_hub_download", "kwargs": {...}}]}: each step calls the
package's top-level function of that name (`hf_hub_download`, `snapshot_download`,
`model_info`, `list_repo_files`, `list_repo_tree`, …) with its keyword arguments.
stdout: one JSON list, per step {"result": …} or {"error": "<exception class>: <message>"}.
"""

import json
import sys

import huggingface_hub


def plain(value):
    """The answer as JSON: the client's dataclasses as dicts, iterables as lists."""
    if isinstance(value, huggingface_hub.ModelInfo):
        return {
            "id": value.id,
            "sha": value.sha,
            "private": value.private,
            "author": value.author,
            "downloads": value.downloads,
            "siblings": [
                {
                    "rfilename": s.rfilename,
                    "size": s.size,
                    "sha256": s.lfs.sha256 if s.lfs else None,
                }
                for s in value.siblings or []
            ],
        }
    if isinstance(value, huggingface_hub.hf_api.RepoFile):
        return {"type": "file", "path": value.path, "size": value.size, "sha256": value.lfs.sha256}
    if isinstance(value, huggingface_hub.hf_api.RepoFolder):
        return {"type": "directory", "path": value.path}
    if isinstance(value, (list, tuple)) or hasattr(value, "__next__"):
        return [plain(item) for item in value]
    return value


def run(step: dict):
    try:
        function = getattr(huggingface_hub, step["call"])
        return {"result": plain(function(**step.get("kwargs", {})))}
    except Exception as exc:  # the client's own errors are what a script sees
        return {"error": f"{type(exc).__name__}: {exc}"}


def main() -> None:
    steps = json.load(sys.stdin)["steps"]
    print(json.dumps([run(step) for step in steps]))


if __name__ == "__main__":
    main()
