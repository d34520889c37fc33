from django.urls import path

from inference import views

app_name = "inference"
urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("files/<int:file_id>/run/", views.job_run, name="job_run"),
]
