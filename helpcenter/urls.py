from django.urls import path

from helpcenter import views

app_name = "help"

urlpatterns = [
    path("", views.help_home, name="home"),
    path("search/", views.search_page, name="search"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("complaints-procedure/", views.procedure_page, name="procedure"),
    path("insights/", views.insights_page, name="insights"),
    path("topics/<slug:topic>/", views.topic_page, name="topic"),
    path("articles/<slug:slug>/", views.article_page, name="article"),
    path("articles/<slug:slug>/feedback/", views.article_feedback, name="feedback"),
    path("articles/<slug:slug>/solved/", views.article_solved, name="solved"),
]
