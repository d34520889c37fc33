"""The copy-ready commands of the file and repository pages under hostile names: a file named
like an option (`--to=x`) or like standard input (`-`) stays a file name in every command."""

import html
import re
import shlex
from pathlib import Path

import pytest
from hub_cli.main import cli

from hub.shell import Raw, command, local_file
from releases.services.files import file_add_content
from tests.factories import RepositoryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_storage")]
OPTION_LIKE = "--to=x"


def copy_texts(response) -> dict[str, str]:
    """What each Copy button of the page puts on the clipboard, by the button's name."""
    found = re.findall(
        r'data-copy="([^"]*)" aria-label="Copy the ([^"]+)"', response.content.decode()
    )
    return {label: html.unescape(text) for text, label in found}


def shown(response) -> list[str]:
    """The commands the page shows in its code blocks, as text (the words' markup removed)."""
    blocks = re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", response.content.decode(), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks]


def download_params(line: str) -> dict:
    """The `hub download` line parsed by the CLI's own (click) parser."""
    words = shlex.split(line)
    assert words[:2] == ["hub", "download"]
    return cli.commands["download"].make_context("download", words[2:]).params


@pytest.fixture
def hostile(owner):
    repo = RepositoryFactory(owner=owner, name="hostile")
    release = repo.latest_release
    for path in (OPTION_LIKE, "-", "weights.bin"):
        file_add_content(release=release, path=path, data=path.encode(), user=owner)
    return repo


def test_a_file_named_like_an_option_is_a_path_of_the_hub_download_line(client, hostile):
    page = client.get(hostile.url("file_detail", version="v1.00", path=OPTION_LIKE))
    line = copy_texts(page)["command-line command"]
    assert line == "hub download -- alice/hostile@v1.00 --to=x"
    params = download_params(line)
    assert params["paths"] == (OPTION_LIKE,)  # the file, not the option
    assert params["to"] == Path(".")
    # What the page showed before: the file's name read as the option, the whole release
    # written into the folder "x".
    assert download_params("hub download alice/hostile@v1.00 --to=x")["to"] == Path("x")


@pytest.mark.parametrize("name", [OPTION_LIKE, "-"])
def test_every_command_of_the_file_page_keeps_the_name_a_file_name(client, hostile, name):
    page = client.get(hostile.url("file_detail", version="v1.00", path=name))
    texts = copy_texts(page)
    labels = {
        "command-line command", "curl command", "sha256sum command", "ipfs add command",
        "CAR download command", "ipfs-car command",
    }  # fmt: skip
    assert labels <= set(texts)
    for label in labels:
        words = shlex.split(texts[label])
        end = words.index("--") if "--" in words else len(words)
        before = words[:end]
        # Before `--` the name is never a word of its own, and appears only as the value of
        # an output option, as ./name: no tool reads it as an option, nor as `-` (standard
        # input or output).
        assert name not in before, label
        assert not any(w.startswith("--to") for w in before), label
        for i, word in enumerate(before):
            if word == f"./{name}":
                assert before[i - 1] in ("-o", "--output"), label
    assert shlex.split(texts["sha256sum command"]) == ["sha256sum", "--", f"./{name}"]
    assert shlex.split(texts["ipfs add command"])[-2:] == ["--", f"./{name}"]
    curl = shlex.split(texts["curl command"])
    assert curl[:5] == ["curl", "-fL", "-o", f"./{name}", "--"]
    assert curl[5].endswith(f"/alice/hostile/resolve/latest/{name}")


def test_the_verify_commands_each_have_a_copy_button_with_what_is_shown(client, hostile):
    page = client.get(hostile.url("file_detail", version="v1.00", path="weights.bin"))
    texts = copy_texts(page)
    blocks = shown(page)
    for label in ("sha256sum command", "ipfs add command", "CAR download command",
                  "ipfs-car command"):  # fmt: skip
        assert texts[label] in blocks, label  # one command a block, copied as shown
    assert texts["sha256sum command"] == "sha256sum -- weights.bin"
    assert texts["ipfs-car command"] == (
        "npx ipfs-car unpack file.car --verify --output ./weights.bin"
    )


def test_the_shell_helper_quotes_every_word_and_ends_options_before_operands():
    assert command("hub", "download", operands=["a/b@v1.00", "$(rm -rf ~)"]) == (
        "hub download -- a/b@v1.00 '$(rm -rf ~)'"
    )
    assert command("curl", "-H", Raw('"X: $T"'), operands=["http://h/a b"]) == (
        "curl -H \"X: $T\" -- 'http://h/a b'"
    )
    assert command("ls") == "ls"
    assert local_file("-") == "./-" and local_file("a-b") == "a-b"
