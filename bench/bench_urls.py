"""Keepwarm's URLs plus the bare anchor views the page benchmarks compare against.

The anchors (research/performance-anchors.md): "list50" is one indexed query for 50 Person
rows ordered by last name, rendered as a 50-row x 6-column table by a Django template;
"hello" returns five bytes. Both run through the same middleware and session as the real
pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from keepwarm.people.models import Person
from keepwarm.urls import urlpatterns as keepwarm_urlpatterns

LIST50 = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>People</title></head>
<body><main><h1>People</h1>
<table>
<thead><tr><th>Name</th><th>Email</th><th>Phone</th><th>Location</th><th>Sector</th><th>Headline</th></tr></thead>
<tbody>
{% for p in people %}<tr>
<td><a href="/people/{{ p.pk }}/">{{ p.last_name }}, {{ p.first_name }}</a></td>
<td>{{ p.email }}</td>
<td>{{ p.phone }}</td>
<td>{{ p.location }}</td>
<td>{{ p.sector }}</td>
<td>{{ p.headline|truncatechars:40 }}</td>
</tr>
{% endfor %}</tbody></table></main></body></html>"""
)


def list50(request: HttpRequest) -> HttpResponse:
    people = list(Person.objects.order_by("last_name")[:50])
    return HttpResponse(LIST50.render({"people": people}, request))


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [
    path("__bench__/list50/", list50, name="bench_list50"),
    path("__bench__/hello/", hello, name="bench_hello"),
    *keepwarm_urlpatterns,
]
