"""What a new user meets first: the run command's logins and pages that fit a phone."""

import re
from pathlib import Path

from demo.management.commands import seed_demo

ROOT = Path(__file__).resolve().parent.parent


def _readme_logins() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| user | password | what for |", 1)[1].split("\n\n", 1)[0]
    return dict(re.findall(r"^\| `(\w+)` \| `([\w-]+)` \|", table, re.M))


def test_the_run_command_prints_every_login_the_readme_promises():
    printed = (ROOT / "scripts" / "run").read_text().split("cat <<MSG", 1)[1].split("\nMSG\n")[0]
    logins = _readme_logins()
    assert set(logins) == {"demo", "staff", "moderator", "visitor"}
    for user, password in logins.items():
        assert re.search(rf"\b{user}\s+/ {re.escape(password)}\b", printed), user


def test_the_readme_logins_are_the_demo_accounts_passwords():
    assert _readme_logins() == {
        "demo": seed_demo.DEMO_PASSWORD,
        "staff": seed_demo.ADMIN_PASSWORD,
        "moderator": seed_demo.MODERATOR_PASSWORD,
        "visitor": seed_demo.VISITOR_PASSWORD,
    }


def test_every_page_layout_declares_a_phone_viewport():
    layouts = [
        path
        for path in (ROOT / "templates").rglob("*.html")
        if "<!doctype html>" in path.read_text().lower()
    ]
    assert len(layouts) >= 3
    missing = [str(p.relative_to(ROOT)) for p in layouts if 'name="viewport"' not in p.read_text()]
    assert missing == []


def test_the_api_documentation_page_fits_a_phone(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b'<meta name="viewport" content="width=device-width' in page.content


def test_every_setting_read_from_the_environment_is_in_the_configuration_table():
    reads = re.compile(r"env_(?:str|int|bool|list)\(\s*\"([A-Z][A-Z0-9_]+)\"")
    apps = ("hub", "accounts", "repos", "releases", "inference", "moderation", "demo")
    names = {
        name
        for app in apps
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts
        for name in reads.findall(path.read_text())
    }
    assert len(names) > 30
    rows = "\n".join(
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")
    )
    assert sorted(n for n in names if f"`{n}`" not in rows) == []
