"""Training labs: a class (Classroom) of seats, each seat with its own accounts, and each seat's progress."""

import uuid

from django.conf import settings
from django.db import models


class Classroom(models.Model):
    """One run of a lab for N seats, created by a trainer (Django staff) or, for self-study, by a principal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lab_id = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="classrooms")
    created_by_principal = models.CharField(max_length=2048, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    seat_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title} ({self.seat_count} seats)"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Seat(models.Model):
    """One trainee's place in a class: its own accounts, the values its instructions are rendered with, and its
    secrets (passwords, secret access keys) sealed at rest."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="seats")
    number = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    secrets_sealed = models.BinaryField(default=bytes)
    accounts = models.ManyToManyField("accounts.Account", related_name="lab_seats")
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "number"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "number"], name="lab_seat_number_unique_per_class"),
        ]

    def __str__(self):
        return f"seat {self.number} of {self.classroom_id}"


class StepProgress(models.Model):
    """A seat's progress on one step: when it started, whether and when it passed, hints and checks used."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="progress")
    step_id = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    passed_at = models.DateTimeField(null=True, blank=True)
    hints_revealed = models.PositiveIntegerField(default=0)
    checks_run = models.PositiveIntegerField(default=0)
    last_results = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["seat", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "step_id"], name="lab_step_progress_unique_per_seat"),
        ]
