"""Claims built for the staff tests: photos with real structure (so perceptual hashes differ
between photos and survive re-encoding and cropping), claims submitted through the real
service (so flags are computed as in production), and a queue of many submitted claims."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Neighbourhood, User
from rewards import claims, evidence, fraud
from rewards.models import Claim, Evidence, Task
from tests.factories import ClaimFactory, ResidentFactory, TaskFactory

TASK_PLACE = (Decimal("50.888100"), Decimal("5.979500"))  # Heerlen, Pancratiusplein
NEAR = (Decimal("50.888300"), Decimal("5.979700"))  # about 27 m away
FAR = (Decimal("50.906000"), Decimal("5.979500"))  # about 2 km north


def photo(seed: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG of coloured shapes, different for every seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(60, 400), rng.randrange(60, 300)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92)
    return out.getvalue()


def recropped(content: bytes, *, crop: float = 0.03, quality: int = 60) -> bytes:
    """The same photo cropped by `crop` on each side, scaled down and re-encoded."""
    with Image.open(io.BytesIO(content)) as image:
        w, h = image.size
        dx, dy = round(w * crop), round(h * crop)
        copy = image.crop((dx, dy, w - dx, h - dy)).resize((round(w * 0.7), round(h * 0.7)))
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def upload(content: bytes, name: str = "photo.jpg") -> ContentFile:
    return ContentFile(content, name=name)


def task_at_place(**fields) -> Task:
    """A published task with a place, a small reward and three hours' estimated work."""
    defaults = {
        "latitude": TASK_PLACE[0],
        "longitude": TASK_PLACE[1],
        "reward": 1_000,
        "estimated_minutes": 180,
        "capacity": 100,
        "per_resident_limit": 10,
    }
    return TaskFactory.create(**{**defaults, **fields})


def submit(
    task: Task,
    resident: User,
    *,
    content: bytes,
    where: tuple[Decimal, Decimal] = NEAR,
    worked: timedelta = timedelta(hours=3),
) -> Claim:
    """Reserve the task `worked` ago and submit a photo taken at `where`, through the service."""
    claim = claims.claim_reserve(user=resident, task_id=task.pk)
    Claim.objects.filter(pk=claim.pk).update(reserved_at=timezone.now() - worked)
    return claims.claim_submit(
        user=resident,
        claim_id=claim.pk,
        photos=[upload(content)],
        note="Klaar.",
        latitude=where[0],
        longitude=where[1],
    )


def queue_of(count: int, *, residents: int = 40, seed: int = 1000) -> list[Claim]:
    """`count` clean submitted claims (verified residents, one photo with a thumbnail each),
    spread over a few tasks and residents, oldest first."""
    tasks = [
        TaskFactory.create(
            title_nl=title,
            title_en=english,
            reward=500,
            capacity=count,
            neighbourhood=Neighbourhood.objects.get_or_create(name=place)[0],
        )
        for title, english, place in (
            ("Bankje schilderen", "Paint a bench", "Heerlerbaan"),
            ("Zwerfvuil prikken", "Pick up litter", "Meezenbroek"),
            ("Speeltuin schoonmaken", "Clean the playground", "Heerlen-Centrum"),
        )
    ]
    people = [ResidentFactory.create() for _ in range(residents)]
    stored = evidence.photo_process(upload(photo(seed)))
    fingerprint = fraud.photo_fingerprint(stored.content)
    storage = evidence.evidence_storage()
    name = storage.save("claims/queue.jpg", ContentFile(stored.content))
    now = timezone.now()
    made = []
    for n in range(count):
        claim = ClaimFactory.create(
            task=tasks[n % len(tasks)],
            resident=people[n % len(people)],
            submitted_at=now - timedelta(minutes=count - n),
        )
        made.append(claim)
    Evidence.objects.bulk_create(
        [
            Evidence(
                claim=claim,
                file=name,
                content_type="image/jpeg",
                width=stored.width,
                height=stored.height,
                size=len(stored.content),
                sha256=stored.sha256,
                thumbnail=fingerprint.thumbnail,
            )
            for claim in made
        ]
    )
    return made
