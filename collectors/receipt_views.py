"""The receipt pages: the collector's (their own receipts only) and the
household's, opened by the receipt link's token without an account."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Payment
from .receipt_pdf import receipt_pdf
from .receipts import link_for, payment_for_token, receipt_for
from .views import collector_required


def _own_receipt(request, pk) -> Payment:
    return get_object_or_404(Payment.objects.select_related("agent", "collector", "household"),
                             pk=pk, collector=request.collector)


def _pdf_response(payment: Payment) -> HttpResponse:
    response = HttpResponse(receipt_pdf(receipt_for(payment)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{payment.receipt_number}.pdf"'
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # The token is the key: never sent on to another site, never indexed.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@collector_required
@require_GET
def receipt(request, pk):
    payment = _own_receipt(request, pk)
    link = link_for(payment)
    share_url = request.build_absolute_uri(reverse("household_receipt", args=[link.token]))
    return _private(render(request, "receipts/receipt.html", {
        "receipt": receipt_for(payment), "share_url": share_url,
        "pdf_url": reverse("field:receipt_pdf", args=[payment.pk])}))


@collector_required
@require_GET
def receipt_pdf_view(request, pk):
    return _private(_pdf_response(_own_receipt(request, pk)))


@never_cache
@require_GET
def household_receipt(request, token):
    payment = payment_for_token(token)
    if payment is None:
        raise Http404
    return _private(render(request, "receipts/receipt.html", {
        "receipt": receipt_for(payment), "pdf_url": reverse("household_receipt_pdf", args=[token])}))


@never_cache
@require_GET
def household_receipt_pdf(request, token):
    payment = payment_for_token(token)
    if payment is None:
        raise Http404
    return _private(_pdf_response(payment))
