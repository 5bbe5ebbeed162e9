from django.urls import path

import keepwarm.people.views as people_views
from keepwarm.care import views, views_closures

urlpatterns = [
    path("", views.today, name="today"),
    path("today/", views.today),
    path("due/", views.due, name="due"),
    path("search/", views.search, name="search"),
    path("search/people.json", views.pick_people, name="pick_people"),
    path("search/companies.json", views.pick_companies, name="pick_companies"),
    path("touchpoints/<int:pk>/log/", views.log_touchpoint, name="log_touchpoint"),
    path("touchpoints/<int:pk>/skip/", views.skip_touchpoint, name="skip_touchpoint"),
    path("cover/", views.cover, name="cover"),
    path("cover/<int:pk>/end/", views.cover_end, name="cover_end"),
    path("cover/handover/", views.handover, name="handover"),
    path("working-days/", views_closures.working_days, name="working_days"),
    path("working-days/<int:pk>/remove/", views_closures.closure_remove, name="closure_remove"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_edit, name="plan_new"),
    path("plans/<int:pk>/", views.plan, name="plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/copy/", views.plan_copy, name="plan_copy"),
    # Companies live with people (the Company model does); their pages sit at /companies/.
    path("companies/", people_views.companies, name="companies"),
    path("companies/new/", people_views.company_edit, name="company_new"),
    path("companies/<int:pk>/", people_views.company, name="company"),
    path("companies/<int:pk>/edit/", people_views.company_edit, name="company_edit"),
]
