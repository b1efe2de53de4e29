from django.contrib.auth.views import LogoutView
from django.urls import path

from . import install_views, receipt_views, views

app_name = "field"

urlpatterns = [
    path("", views.today, name="today"),
    path("login/", views.FieldLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="field:login"), name="logout"),
    path("find/", views.find, name="find"),
    path("new/", views.register, name="register"),
    path("month/", views.month, name="month"),
    path("h/<int:pk>/", views.household, name="household"),
    path("h/<int:pk>/visit/", views.visit, name="visit"),
    path("h/<int:pk>/potential/", views.potential, name="potential"),
    path("visits/", views.visits, name="visits"),
    path("h/<int:pk>/pay/", views.pay, name="pay"),
    path("h/<int:pk>/referral/", views.referral, name="referral"),
    path("h/<int:pk>/member/", views.add_member, name="add_member"),
    path("receipt/<int:pk>/", receipt_views.receipt, name="receipt"),
    path("receipt/<int:pk>/pdf/", receipt_views.receipt_pdf_view, name="receipt_pdf"),
    path("offline/", views.offline, name="offline"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", install_views.manifest, name="manifest"),
]
