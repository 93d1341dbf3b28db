"""Console pages. The AWS endpoint (POST /) is wired in here too, by the keys.api dispatcher."""

from django.urls import path

from kmsconsole import views

urlpatterns = [
    path("", views.home, name="home"),
]
