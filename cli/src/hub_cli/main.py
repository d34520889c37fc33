"""The `hub` command: the Model Hub from a terminal or a script.

Exit codes: 0 done, 1 failed, 2 usage (or a request the hub finds invalid), 3 not found, not
allowed or not authenticated, 4 conflict. Expected failures print one line, `hub: <why>`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from hub_cli import __version__, config, output
from hub_cli.client import FAILED, NOT_FOUND, USAGE, Client, HubError, api_path
from hub_cli.download import Downloader, release_files, report_download, verify
from hub_cli.refs import parse_ref
from hub_cli.upload import Uploader, collect, report


def _client() -> Client:
    return Client(config.load())


class OperandsCommand(click.Command):
    """A command with path operands, which may follow `--` (the end of options).

    Click reads any word that starts with `-` as an option, so a pasted command whose path
    is spelt like one (a file named `--to=x`) would quietly change what the command does.
    This keeps what the shell gave, so that the command can refuse what is ambiguous: a path
    that starts with `-` given before `--`, or a word read as an option that is also a path
    the command could mean."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        ctx.meta["hub.after_dashes"] = len(args[end + 1 :])
        ctx.meta["hub.options"] = [a for a in args[:end] if a.startswith("-") and a != "-"]
        return super().parse_args(ctx, args)


class LocalOperandsCommand(OperandsCommand):
    """An `OperandsCommand` whose paths are local files and folders: a word read as an option
    that is also the name of one here is refused before anything else is read."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        for word in args[:end]:
            if word.startswith("-") and word != "-" and Path(word).exists():
                raise HubError(
                    f"“{word}” was read as an option, but it is also a file or folder here: "
                    f"write paths after “--” ({_usage(ctx)}).",
                    code=USAGE,
                )
        return super().parse_args(ctx, args)


def _operands(paths: tuple[str, ...] | tuple[Path, ...]) -> list[str]:
    """The path operands as given; refuses one that starts with `-` before `--`."""
    ctx = click.get_current_context()
    given = [str(p) for p in paths]
    before = given[: max(0, len(given) - ctx.meta.get("hub.after_dashes", 0))]
    for path in before:
        if path.startswith("-"):
            raise HubError(
                f"“{path}” could be an option: write paths that start with “-” after “--” "
                f"({_usage(ctx)}).",
                code=USAGE,
            )
    return given


def _options_given() -> list[str]:
    """The words read as options (and their values, when spelt `--opt=value`)."""
    return list(click.get_current_context().meta.get("hub.options", []))


def _usage(ctx: click.Context) -> str:
    return f"{ctx.command_path} [OPTIONS] -- OWNER/NAME[@vX.YY] PATH…"


def _print_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hub")
def cli() -> None:
    """The Model Hub from the command line.

    Log in once with a personal access token (made on the hub's /accounts/tokens/ page);
    HUB_URL and HUB_TOKEN in the environment take precedence over what `hub login` stored.
    """


@cli.command()
@click.option("--url", help=f"The hub's address (default: stored, or {config.DEFAULT_URL}).")
@click.option("--token", help="The token (else read from standard input, or asked for).")
def login(url: str | None, token: str | None) -> None:
    """Check a token with the hub and store it (readable by you alone)."""
    settings = config.load()
    url = config.normalise_url(url) if url else settings.url
    if not token:
        if sys.stdin.isatty():
            token = click.prompt(
                f"Token (make one on {url}/accounts/tokens/)", hide_input=True, err=True
            )
        else:
            token = sys.stdin.readline()
    token = (token or "").strip()
    if not token:
        raise HubError("No token given.", code=USAGE)
    with Client(config.Settings(url=url, token=token)) as client:
        me = client.get(api_path("whoami"))
    path = config.save(url=url, token=token)
    output.say(f"Logged in to {url} as {me['username']} ({_token_words(me)}); saved in {path}.")


@cli.command()
def logout() -> None:
    """Forget the stored token (the address stays)."""
    settings = config.load()
    path = config.save(url=settings.url, token=None)
    output.say(f"Logged out: no token in {path}.")


def _token_words(me: dict) -> str:
    name = f" “{me['token_name']}”" if me.get("token_name") else ""
    return f"{me.get('scope', 'write')} token{name}"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
def whoami(as_json: bool) -> None:
    """Who the token acts as."""
    with _client() as client:
        if not client.has_token:
            raise HubError("Not logged in: run `hub login` (or set HUB_TOKEN).", code=NOT_FOUND)
        me = client.get(api_path("whoami"))
    if as_json:
        _print_json(me)
    else:
        output.say(f"{me['username']} on {client.url} ({_token_words(me)})")


@cli.command(name="ls")
@click.argument("target", required=False, default="")
@click.option("--limit", default=100, show_default=True, help="Most repositories listed.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
def list_(target: str, limit: int, as_json: bool) -> None:
    """Repositories (matching QUERY), or the files of OWNER/NAME[@vX.YY] (default: latest)."""
    with _client() as client:
        if "/" in target:
            ref = parse_ref(target)
            version = ref.resolve_version(client)
            files = client.get(ref.api("releases", version, "files"))
            if as_json:
                _print_json(files)
                return
            _files_table(f"{ref.full_name} {version}", files)
            return
        repos, page = [], 1
        while len(repos) < limit:
            answer = client.get(api_path("repos"), q=target, page=page, per_page=min(limit, 100))
            repos += answer["items"]
            if not answer["next"]:
                break
            page += 1
        repos = repos[:limit]
    if as_json:
        _print_json(repos)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("repository", "latest", "task", "downloads", "summary"):
        table.add_column(column, justify="right" if column == "downloads" else "left")
    for repo in repos:
        name = repo["full_name"] + (" (private)" if repo["private"] else "")
        table.add_row(
            name, repo["latest_version"] or "–", repo["task"], str(repo["downloads"]),
            repo["summary"],
        )  # fmt: skip
    if repos:
        output.out.print(table)
    else:
        output.say("No repositories found.")


def _files_table(title: str, files: list[dict]) -> None:
    total = sum(f["size"] for f in files)
    output.say(f"{title}: {output.plural(len(files), 'file')}, {output.human_size(total)}")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("path", "size", "sha256", "Blob ID"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for f in files:
        table.add_row(f["path"], output.human_size(f["size"]), f["sha256"][:12], f["blob_id"])
    if files:
        output.out.print(table)


@cli.command()
@click.argument("repository")
@click.option("--private", is_flag=True, help="Only you can see it.")
@click.option("--task", help="A task slug, e.g. defi-forecasting (default: other).")
@click.option("--license", "license_", metavar="SPDX", help="e.g. Apache-2.0 (default: MIT).")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@click.option("--description", default="", help="The model card, in Markdown.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
def create(repository, private, task, license_, tags, description, as_json) -> None:
    """Create the repository OWNER/NAME (yours), with its first release, v1.00."""
    ref = parse_ref(repository, versioned=False)
    body = {"name": ref.name, "description": description, "tags": list(tags), "private": private}
    body |= {k: v for k, v in (("task", task), ("license", license_)) if v}
    with _client() as client:
        me = client.get(api_path("whoami"))["username"]
        if me.lower() != ref.owner.lower():
            raise HubError(
                f"You are {me}: create {me}/{ref.name}; repositories are made in your account.",
                code=USAGE,
            )
        repo = client.post(api_path("repos"), body)
    if as_json:
        _print_json(repo)
        return
    kind = "private" if repo["private"] else "public"
    output.say(
        f"Created {repo['full_name']} ({kind}) with release {repo['latest_version']}: "
        f"{client.url}{repo['url']}"
    )


@cli.command()
@click.argument("repository")
@click.option("--major", is_flag=True, help="A major release (1.04 → 2.00); default minor.")
@click.option("--notes", default="", help="Release notes, in Markdown.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
def release(repository: str, major: bool, notes: str, as_json: bool) -> None:
    """Create the next release of OWNER/NAME."""
    ref = parse_ref(repository, versioned=False)
    with _client() as client:
        made = client.post(
            ref.api("releases"), {"bump": "major" if major else "minor", "notes": notes}
        )
    if as_json:
        _print_json(made)
        return
    output.say(f"Created release {made['version']} of {ref.full_name}: {client.url}{made['url']}")


@cli.command(cls=LocalOperandsCommand)
@click.argument("repository")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", default=4, show_default=True, help="Files sent at the same time.")
@click.option(
    "--timeout", default=1800, show_default=True, help="Seconds to wait for the hub's check."
)
@click.option("--quiet", "-q", is_flag=True, help="Print the summary only.")
def upload(repository: str, paths: tuple[Path, ...], jobs: int, timeout: int, quiet: bool):
    """Upload files and folders to OWNER/NAME[@vX.YY] (default: the latest release).

    A file goes at its name; a folder's files at their paths inside the folder. Every file is
    hashed first and the hub says what it already has: those are linked or skipped, never
    sent again. An upload interrupted earlier resumes where it stopped.
    """
    ref = parse_ref(repository)
    _operands(paths)
    items = collect(list(paths))
    with _client() as client:
        version = ref.resolve_version(client)
        Uploader(client, ref, version, jobs=jobs, timeout=timeout).run(items)
    sys.exit(report(ref, version, items, quiet=quiet))


def _folder(flag: str, name: str, what: str):
    return click.option(
        flag, name, default=".", type=click.Path(file_okay=False, path_type=Path),
        help=f"{what} (default: the current one).",
    )  # fmt: skip


@cli.command(cls=OperandsCommand)
@click.argument("repository")
@click.argument("paths", nargs=-1)
@_folder("--to", "to", "Folder to write into")
@click.option("--quiet", "-q", is_flag=True, help="Print the summary only.")
def download(repository: str, paths: tuple[str, ...], to: Path, quiet: bool) -> None:
    """Download files of OWNER/NAME[@vX.YY] (all, or the PATHS given) and verify them.

    Files keep their paths under --to. What was written is read back and checked against the
    release's sha256 and Blob ID; an interrupted download resumes.
    """
    ref = parse_ref(repository)
    with _client() as client:
        version, files = release_files(
            client, ref, _operands(paths), to, options=_options_given(), command="hub download"
        )
        Downloader(client).run(files)
    sys.exit(report_download(ref, version, files, to, quiet))


@cli.command(name="verify", cls=OperandsCommand)
@click.argument("repository")
@click.argument("paths", nargs=-1)
@_folder("--in", "folder", "Folder holding the files")
@click.option("--quiet", "-q", is_flag=True, help="Print the summary only.")
def verify_(repository: str, paths: tuple[str, ...], folder: Path, quiet: bool) -> None:
    """Check local copies of OWNER/NAME[@vX.YY]'s files against the release."""
    ref = parse_ref(repository)
    with _client() as client:
        _version, files = release_files(
            client, ref, _operands(paths), folder, options=_options_given(), command="hub verify"
        )
    sys.exit(verify(files, quiet))


def main(argv: list[str] | None = None) -> None:
    """The console script: every expected failure is one line on standard error."""
    try:
        code = cli.main(argv, prog_name="hub", standalone_mode=False)
    except HubError as exc:
        _fail(exc.message, exc.code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help(), err=True)
        sys.exit(USAGE)
    except click.UsageError as exc:
        message = exc.format_message().rstrip(".")
        if isinstance(exc, click.NoSuchOption) and isinstance(
            getattr(exc.ctx, "command", None), OperandsCommand
        ):
            message += ": a path that starts with “-” goes after “--”"
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        _fail(message + hint + ".", USAGE)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted; run the same command again to resume.", 130)
    except BrokenPipeError:
        sys.exit(FAILED)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    output.err.print(f"hub: {message}", markup=False, highlight=False)
    sys.exit(code)
