from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("events/", views.event_history, name="event_history"),
    path("events/download/", views.download_events, name="download_events"),
    path("events/key-activity/", views.recent_activity, name="recent_activity"),
    path("events/<uuid:event_id>/", views.event_detail, name="event_detail"),
]
