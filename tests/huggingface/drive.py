"""Drive the unmodified `huggingface_hub` client against a hub; run by .venv-hf's Python.

    HF_ENDPOINT=http://127.0.0.1:PORT HF_HOME=… .venv-hf/bin/python tests/huggingface/drive.py \
      < steps.json

stdin: {"steps": [{"call": "hf_hub_download", "kwargs": {...}}]}: each step calls the
package's top-level function of that name (`hf_hub_download`, `snapshot_download`,
`model_info`, `list_repo_files`, `list_repo_tree`, `upload_file`, `upload_folder`,
`create_commit`, …), or with `HfFileSystem.<method>` that method of an `HfFileSystem`, with
its keyword arguments. `create_commit`'s operations are written
{"add": {"path_in_repo": …, "path_or_fileobj": <local path>}} or {"delete": {"path_in_repo":
…}}.
stdout: one JSON list, per step {"result": …} or {"error": "<exception class>: <message>"},
followed by " <- <class>: <message>" for each exception it was raised from (the client wraps
a failed transfer in a RuntimeError).
"""

import hashlib
import json
import sys

import huggingface_hub


def plain(value):
    """The answer as JSON: the client's dataclasses as dicts, iterables as lists."""
    if isinstance(value, huggingface_hub.CommitInfo):
        return {"oid": value.oid, "commit_url": value.commit_url}
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
    if isinstance(value, bytes):  # file contents, as their digest
        return {"size": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    return value


def operation(spec: dict):
    if "add" in spec:
        return huggingface_hub.CommitOperationAdd(**spec["add"])
    return huggingface_hub.CommitOperationDelete(**spec["delete"])


def described(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    while exc.__cause__ is not None:
        exc = exc.__cause__
        text += f" <- {type(exc).__name__}: {exc}"
    return text


def run(step: dict):
    kwargs = dict(step.get("kwargs", {}))
    if "operations" in kwargs:
        kwargs["operations"] = [operation(spec) for spec in kwargs["operations"]]
    try:
        if step["call"].startswith("HfFileSystem."):  # a method of the fsspec file system
            fs = huggingface_hub.HfFileSystem(token=kwargs.pop("token", None))
            function = getattr(fs, step["call"].split(".", 1)[1])
        else:
            function = getattr(huggingface_hub, step["call"])
        return {"result": plain(function(**kwargs))}
    except Exception as exc:  # the client's own errors are what a script sees
        return {"error": described(exc)}


def main() -> None:
    steps = json.load(sys.stdin)["steps"]
    print(json.dumps([run(step) for step in steps]))


if __name__ == "__main__":
    main()
