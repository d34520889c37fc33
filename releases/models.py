import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from markdownx.models import MarkdownxField

NOTES_EXCERPT_CHARS = 200


def format_version(major: int, minor: int) -> str:
    return f"v{major}.{minor:02d}"


class Release(models.Model):
    """A numbered release of a repository: v1.00, v1.01, v2.00. Numbers come from the server."""

    repository = models.ForeignKey(
        "repos.Repository", on_delete=models.CASCADE, related_name="releases"
    )
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    notes = MarkdownxField(blank=True)
    notes_html = models.TextField(blank=True, editable=False)
    # What lists of releases show of the notes: their text, short (`hub.markdown`).
    notes_excerpt = models.CharField(max_length=NOTES_EXCERPT_CHARS, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-major", "-minor"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "major", "minor"], name="releases_release_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(major__gte=1), name="releases_major_gte_1"),
        ]

    def __str__(self) -> str:
        return self.version

    def get_absolute_url(self) -> str:
        return self.repository.url("release_detail", version=self.version)

    @property
    def version(self) -> str:
        return format_version(self.major, self.minor)

    def url(self, view: str) -> str:
        return self.repository.url(view, version=self.version)


class OnnxStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not read yet"
    VALID = "valid", "ONNX model"
    INVALID = "invalid", "Not a valid ONNX model"


class Blob(models.Model):
    """Stored bytes, once per content on the whole hub, keyed by their sha256.

    `blob_id` is the CIDv1 that `ipfs add --cid-version=1` prints for the same bytes.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    blob_id = models.CharField("Blob ID", max_length=100, unique=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    onnx_status = models.CharField(
        max_length=10, choices=OnnxStatus.choices, default=OnnxStatus.UNCHECKED
    )
    onnx_signature = models.JSONField(null=True, blank=True)
    onnx_error = models.TextField(blank=True)
    # Content a moderator deleted as unsafe: never served again, never added to a release.
    blocked_at = models.DateTimeField(null=True, blank=True, editable=False)
    blocked_reason = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="releases_blob_sha256_hex"
            ),
        ]
        # The plan's answer to a file announced by its size alone (`selectors.files_plan`).
        indexes = [models.Index(fields=["size"], name="releases_blob_size")]

    def __str__(self) -> str:
        return self.blob_id

    @property
    def storage_key(self) -> str:
        return blob_storage_key(self.sha256)

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None


class BlockKind(models.TextChoices):
    LEAF = "leaf", "raw leaf"
    NODE = "node", "dag-pb node"


class BlobBlock(models.Model):
    """One block of a blob's IPFS DAG (the one its Blob ID names), for the trustless gateway.

    Rows are numbered in depth-first pre-order (`position` 0 is the root), so a subtree is the
    run of rows from its node's `position` to its `last`, and its leaves come in file order:
    a CAR streams rows and stored bytes side by side. A raw leaf is `size` bytes of the blob
    from `offset`; an inner node keeps its dag-pb bytes (at most 174 links, under 8 KiB). One
    row per leaf keeps a lookup by CID an indexed equality: 40,000 rows for 10 GiB.
    """

    blob = models.ForeignKey(Blob, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField()
    last = models.PositiveIntegerField()  # position of the last block under this one
    cid = models.BinaryField(max_length=64)  # binary CIDv1
    kind = models.CharField(max_length=4, choices=BlockKind.choices)
    offset = models.PositiveBigIntegerField(null=True, blank=True)  # leaves: in the blob
    size = models.PositiveIntegerField()  # bytes of the block
    data = models.BinaryField(null=True, blank=True)  # nodes: the dag-pb block

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blob", "position"], name="releases_block_position"),
        ]
        indexes = [models.Index(fields=["cid"], name="releases_block_cid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.position} of {self.blob_id}"


def blob_storage_key(sha256: str) -> str:
    """Where the bytes of a blob live in storage: derived from the digest alone."""
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class ReleaseFile(models.Model):
    """A path in a release, pointing at a blob. A path never changes its content."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="release_files")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        permissions = [("remove_unsafe_file", "Can delete unsafe files as a moderator")]
        constraints = [
            models.UniqueConstraint(fields=["release", "path"], name="releases_file_path_unique"),
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_onnx(self) -> bool:
        return self.path.lower().endswith(".onnx")

    @property
    def has_graph(self) -> bool:
        """The graph viewer shows it: an ONNX file not known to be broken, whose content the
        moderators did not remove."""
        blob = self.blob
        return self.is_onnx and blob.onnx_status != OnnxStatus.INVALID and not blob.is_blocked


class DeletedPath(models.Model):
    """A path whose file was deleted from a release. It stays reserved for the same content:
    a release's URL never serves other bytes than it once did."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deleted_paths")
    path = models.CharField(max_length=1024)
    sha256 = models.CharField(max_length=64)
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "path"], name="releases_deleted_path_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.path


class UploadStatus(models.TextChoices):
    RECEIVING = "receiving", "Receiving chunks"
    VERIFYING = "verifying", "Verifying"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_UPLOAD = models.Q(status__in=[UploadStatus.RECEIVING, UploadStatus.VERIFYING])


class Upload(models.Model):
    """A file on its way into a release: chunks arrive in order, then a task verifies them.

    Nothing of it is visible in the release until the verification has created the
    ReleaseFile. Resuming after a dropped connection or a reload continues from `received`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=1024)
    size = models.PositiveBigIntegerField()
    # Declared when the upload starts, or after its bytes (`uploads.upload_declare`): a client
    # that knows no copy can exist sends while it hashes. Blank until declared.
    sha256 = models.CharField(max_length=64, blank=True)
    # The digest of the bytes, when one request brought the whole file before its sha256 was
    # declared: the declaration is then checked against it without reading the bytes again.
    received_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    # A direct upload (S3 storage): the id of the S3 multipart upload its chunks are sent to,
    # as parts, at presigned URLs (`hub.s3`); blank for chunks that come through the hub.
    multipart_id = models.CharField(max_length=1024, blank=True, editable=False)
    chunk_size = models.PositiveIntegerField()
    chunks_received = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.RECEIVING
    )
    error = models.TextField(blank=True)
    release_file = models.ForeignKey(
        ReleaseFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Verification (releases.services.verification.upload_complete): a worker holds the upload
    # until `lease_until`, renewing it while it hashes; `verified_at` and `blob_id` (and
    # `sha256`, for content declared by its Blob ID) are set, and committed, once the received
    # bytes matched the declaration, so a run that comes after a crash finishes from there
    # instead of needing the staged bytes again. `blob_id` before that is the declared one.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    blob_id = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "updated_at"], name="releases_upload_status_upd"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "path"],
                condition=ACTIVE_UPLOAD,
                name="releases_upload_one_active_per_path",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} ({self.get_status_display()})"

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.size // self.chunk_size))

    def chunk_length(self, index: int) -> int:
        """Bytes expected in chunk `index` (the last one may be shorter; an empty file has one)."""
        return max(0, min(self.chunk_size, self.size - index * self.chunk_size))

    @property
    def declared(self) -> bool:
        """Whether the content was declared: by its sha256 or its Blob ID (before its bytes
        are verified, `blob_id` is only ever the declared one)."""
        return bool(self.sha256 or self.blob_id)

    def declared_as(self, sha256: str, blob_id: str) -> bool:
        """Whether a start declaring this is the same file (and so resumes this upload)."""
        return bool((sha256 and self.sha256 == sha256) or (blob_id and self.blob_id == blob_id))

    def chunk_key(self, index: int) -> str:
        return f"uploads/{self.id}/{index:06d}"

    def as_json(self) -> dict:
        """The upload's state as the uploader (and any API client) reads it."""
        return {
            "id": str(self.id),
            "path": self.path,
            "size": self.size,
            "chunk_size": self.chunk_size,
            "chunk_count": self.chunk_count,
            # A chunk request may carry consecutive whole chunks up to this many bytes.
            "request_max": max(self.chunk_size, settings.HUB_UPLOAD_REQUEST_MAX),
            "chunks_received": self.chunks_received,
            "sha256": self.sha256 or None,  # None until declared
            "direct": bool(self.multipart_id),  # chunks go to `part_urls`, not through the hub
            "status": self.status,
            "error": self.error,
            "url": reverse("upload_detail", kwargs={"upload_id": self.id}),
        }
