class NameConverter:
    """A user or repository name segment (validated fully by hub.names)."""

    regex = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class VersionConverter:
    """A release version as shown on the site: v1.00, v2.13."""

    regex = r"v[0-9]{1,6}\.[0-9]{2,6}"

    def to_python(self, value: str) -> tuple[int, int]:
        major, minor = value[1:].split(".")
        return int(major), int(minor)

    def to_url(self, value) -> str:
        if isinstance(value, tuple):
            return f"v{value[0]}.{value[1]:02d}"
        return str(value)
