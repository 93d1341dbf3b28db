"""The Labs pages: the lab list and self-study (any signed-in principal), the trainee's Lab panel (a seat's
account), and the trainer's classes (Django staff)."""

from django.urls import path

from labs import views

app_name = "labs"

urlpatterns = [
    # Any signed-in console principal
    path("", views.lab_list, name="lab_list"),
    path("start/", views.start_self_study, name="start_self_study"),
    path("self-study/<uuid:class_id>/", views.self_study, name="self_study"),
    path("self-study/<uuid:class_id>/close/", views.close_self_study, name="close_self_study"),
    # The trainee: signed in to one of a seat's accounts
    path("seat/", views.seat_panel, name="seat_panel"),
    path("seat/steps/<str:step_id>/check/", views.check_my_work, name="check_my_work"),
    path("seat/steps/<str:step_id>/hint/", views.next_hint, name="next_hint"),
    # The trainer (Django staff)
    path("classes/", views.class_list, name="class_list"),
    path("classes/<uuid:class_id>/", views.class_dashboard, name="class_dashboard"),
    path("classes/<uuid:class_id>/results.csv", views.results_csv, name="results_csv"),
    path("classes/<uuid:class_id>/cards/", views.seat_cards, name="seat_cards"),
    path("classes/<uuid:class_id>/credentials.csv", views.credentials_csv, name="credentials_csv"),
    path("classes/<uuid:class_id>/close/", views.close_class, name="close_class"),
    path("classes/<uuid:class_id>/seats/<int:number>/", views.seat_detail, name="seat_detail"),
    path("classes/<uuid:class_id>/seats/<int:number>/reset/", views.reset_seat, name="reset_seat"),
    path("classes/<uuid:class_id>/seats/<int:number>/solve/", views.solve_step, name="solve_step"),
]
