"""Reading payments: a shop's day, a payment's refundable remainder, a resident's payments with
shop names, and the status of a payment request the till polls."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from shops.models import Shop

from .models import Payment, PaymentRequest, PayToken, RequestStatus

EXPIRED = "expired"


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """Midnight to midnight of `day` in the project's time zone (Europe/Amsterdam)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    if day == date.max:  # the last day there is: it ends when the calendar does
        return start, datetime.combine(day, time.max, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class ShopDay:
    payments: list[Payment]
    total: int  # paid in that day, minor units
    refunded: int  # of those payments, refunded so far

    @property
    def net(self) -> int:
        return self.total - self.refunded


def shop_day_payments(*, shop: Shop, day: date | None = None) -> ShopDay:
    """The shop's payments of one day (today by default), newest first, with the total."""
    start, end = _day_bounds(day or timezone.localdate())
    rows = (
        Payment.objects.filter(shop=shop, created_at__gte=start, created_at__lt=end)
        .select_related("resident", "cashier")
        .order_by("-created_at", "-id")
    )
    sums = rows.aggregate(total=Sum("amount"), refunded=Sum("refunded"))
    return ShopDay(
        payments=list(rows), total=int(sums["total"] or 0), refunded=int(sums["refunded"] or 0)
    )


def payment_refundable(*, payment: Payment) -> int:
    """What is left of a payment to refund (minor units)."""
    return payment.amount - payment.refunded


def resident_payments(*, user: User, limit: int = 50) -> QuerySet[Payment]:
    """The resident's payments, newest first, with the shop (for its name) and refunds."""
    limit = max(1, min(limit, 200))
    return (
        Payment.objects.filter(resident=user)
        .select_related("shop")
        .order_by("-created_at", "-id")[:limit]
    )


def shop_payment(*, shop_id: int, payment_id: int) -> Payment | None:
    return Payment.objects.filter(pk=payment_id, shop_id=shop_id).select_related("shop").first()


@dataclass(frozen=True)
class RequestState:
    request_id: int
    status: str  # open, paid, cancelled or expired
    amount: int
    expires_at: datetime
    payment_id: int | None
    paid_at: datetime | None
    short_code: str = ""
    at_resident: bool = False  # a charge waiting for the resident to confirm on their phone


def request_status(*, request_id: int, shop: Shop) -> RequestState | None:
    """The state of one of the shop's payment requests, for the till to poll; None when the
    request is not the shop's. An open request past its expiry reads "expired"."""
    request = PaymentRequest.objects.filter(pk=request_id, shop=shop).first()
    if request is None:
        return None
    payment = Payment.objects.filter(request=request).only("id", "created_at").first()
    status = request.status
    if status == RequestStatus.OPEN and request.expires_at <= timezone.now():
        status = EXPIRED
    return RequestState(
        request_id=request.pk,
        status=status,
        amount=request.amount,
        expires_at=request.expires_at,
        payment_id=payment.pk if payment else None,
        paid_at=payment.created_at if payment else None,
        short_code=request.short_code,
        at_resident=request.pay_token_id is not None,
    )


def confirmation_waiting(*, token: PayToken) -> PaymentRequest | None:
    """The open charge a till made on the resident's code above PAYMENT_CONFIRM_ABOVE, waiting
    for the resident to confirm it (the newest, if the till asked twice)."""
    return (
        PaymentRequest.objects.filter(
            pay_token=token, status=RequestStatus.OPEN, expires_at__gt=timezone.now()
        )
        .select_related("shop")
        .order_by("-id")
        .first()
    )
