from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("dlr/kannel/", views.kannel_report, name="kannel_report"),
    path("dlr/gateway/", views.gateway_report, name="gateway_report"),
]
