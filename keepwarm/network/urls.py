from django.urls import include, path

from keepwarm.network import views, views_leads, views_vacancies

urlpatterns = [
    path("network/referrals/", views.referrals, name="referrals"),
    path("network/referrals/new/", views.referral_new, name="referral_new"),
    path("network/referrals/<int:pk>/", views.referral, name="referral"),
    path("network/referrals/<int:pk>/advance/", views.referral_advance, name="referral_advance"),
    path("network/referrals/<int:pk>/resolve/", views.referral_resolve, name="referral_resolve"),
    path("network/people/<int:pk>/statement/", views.person_statement, name="person_statement"),
    path("network/rewards-due/", views.rewards_due, name="rewards_due"),
    path("network/reward-rules/", views.reward_rules, name="reward_rules"),
    path("network/reward-rules/new/", views.reward_rule_edit, name="reward_rule_new"),
    path("network/reward-rules/<int:pk>/", views.reward_rule_edit, name="reward_rule_edit"),
    path("network/leads/", views_leads.leads, name="leads"),
    path("network/leads/new/", views_leads.lead_new, name="lead_new"),
    path("network/leads/<int:pk>/", views_leads.lead, name="lead"),
    path("network/leads/<int:pk>/convert/", views_leads.lead_convert, name="lead_convert"),
    path("network/leads/<int:pk>/discard/", views_leads.lead_discard, name="lead_discard"),
    path("network/leads/<int:pk>/resolve/", views_leads.lead_resolve, name="lead_resolve"),
    path("network/intel/", views_leads.intel, name="intel"),
    path("network/vacancies/", views_vacancies.vacancies, name="vacancies"),
    path("network/vacancies/new/", views_vacancies.vacancy_edit, name="vacancy_new"),
    path("network/vacancies/<int:pk>/", views_vacancies.vacancy, name="vacancy"),
    path("network/vacancies/<int:pk>/edit/", views_vacancies.vacancy_edit, name="vacancy_edit"),
    path("network/placed-who-hire/", views_vacancies.placed_who_hire, name="placed_who_hire"),
    path("", include("keepwarm.network.urls_matching")),
]
