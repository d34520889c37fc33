import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse


class Mode(models.TextChoices):
    """Inference modes, valued as the OpenGradient contract numbers them."""

    VANILLA = "VANILLA", "VANILLA"
    TEE = "TEE", "TEE (trusted execution environment)"
    ZKML = "ZKML", "ZKML (zero-knowledge proof)"


MODE_NUMBERS = {Mode.VANILLA: 0, Mode.ZKML: 1, Mode.TEE: 2}


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUBMITTED = "submitted", "Submitted"
    CONFIRMED = "confirmed", "Confirmed"
    FAILED = "failed", "Failed"


FINISHED = (Status.CONFIRMED, Status.FAILED)


class InferenceJob(models.Model):
    """One test inference of an ONNX file, from the form to its transaction on chain.

    The transaction is signed once and stored (hash and raw bytes) before it is broadcast,
    so a task that runs again only follows or re-broadcasts it. The file's Blob ID, path and
    repository are copied here so the record outlives the file.
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.ForeignKey(
        "releases.ReleaseFile", null=True, on_delete=models.SET_NULL, related_name="inference_jobs"
    )
    repository = models.ForeignKey(
        "repos.Repository", null=True, on_delete=models.SET_NULL, related_name="inference_jobs"
    )
    model_id = models.CharField("Blob ID", max_length=100)
    file_label = models.CharField(max_length=1200, help_text="owner/repo version path")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.VANILLA)
    inputs = models.JSONField(help_text="name → {type, shape, values}")
    input_sha256 = models.CharField(max_length=64)
    outputs = models.JSONField(null=True, blank=True)
    output_sha256 = models.CharField(max_length=64, blank=True)
    simulation_result = models.BooleanField(
        null=True, blank=True, help_text="the network answered with a simulated result"
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    last_problem = models.TextField(blank=True, help_text="latest transient problem, retried")
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)

    backend = models.CharField(max_length=20)
    chain_id = models.BigIntegerField(null=True, blank=True)
    contract_address = models.CharField(max_length=42, blank=True)
    sender = models.CharField(max_length=42, blank=True)
    nonce = models.BigIntegerField(null=True, blank=True)
    tx_hash = models.CharField(max_length=66, null=True, blank=True, unique=True)
    signed_tx = models.BinaryField(null=True, blank=True, editable=False)
    block_number = models.BigIntegerField(null=True, blank=True)
    gas_used = models.BigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("run_inference", "Can run test inferences")]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="inference_status_updated"),
            models.Index(fields=["file", "-created_at"], name="inference_file_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "chain_id", "nonce"],
                condition=models.Q(nonce__isnull=False),
                name="inference_one_job_per_nonce",
            ),
        ]

    def __str__(self) -> str:
        return f"Inference #{self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("inference:job_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def job_key(self) -> bytes:
        """The 32-byte key under which the local contract records this job."""
        return hashlib.sha256(b"model-hub-inference:" + self.key.bytes).digest()

    @property
    def explorer_url(self) -> str:
        template = settings.CHAIN_EXPLORER_TX_URL
        if not template or not self.tx_hash:
            return ""
        return template.replace("{hash}", self.tx_hash)


class SigningAccount(models.Model):
    """The next nonce of a signing account on a chain, handed out under a row lock so that
    any number of worker processes sign distinct, gap-free nonces."""

    chain_id = models.BigIntegerField()
    address = models.CharField(max_length=42)
    next_nonce = models.BigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "address"], name="inference_signing_account_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} on chain {self.chain_id}"
