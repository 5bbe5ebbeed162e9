"""The editor: the whole issue is one form, so no edit is lost to another save."""

from __future__ import annotations

from django.test import Client

from keepwarm.audit.models import AuditEntry
from keepwarm.newsletters.models import Block, Issue, Kind
from keepwarm.newsletters.services import add_block
from keepwarm.newsletters.tests.conftest import Setup, editor_data


def _second_block(setup: Setup) -> Block:
    return add_block(issue=setup.issue, kind=Kind.JOB_HUNTING_TIPS, title="Interviews", body="Old")


def test_saving_keeps_the_edits_of_every_block(setup: Setup, client: Client) -> None:
    first = setup.issue.blocks.get()
    second = _second_block(setup)
    client.force_login(setup.cast.owner)
    edits = {first.pk: ("CV tips", "First edit"), second.pk: ("Interviews", "Second edit")}

    saved = client.post(setup.issue.get_absolute_url(), editor_data(setup.issue, blocks=edits))

    assert saved.status_code == 302
    assert Block.objects.get(pk=first.pk).body == "First edit"
    assert Block.objects.get(pk=second.pk).body == "Second edit"
    entry = AuditEntry.objects.filter(object_type="newsletters.issue", action="changed").latest(
        "at"
    )
    assert entry.changes["Block “Three CV tips”"] == [first.body, "First edit"]


def test_moving_a_block_saves_the_unsaved_edits_first(setup: Setup, client: Client) -> None:
    first = setup.issue.blocks.get()
    second = _second_block(setup)
    client.force_login(setup.cast.owner)
    data = editor_data(
        setup.issue, action=f"up:{second.pk}", blocks={first.pk: ("Three CV tips", "Kept")}
    )

    client.post(setup.issue.get_absolute_url(), data)

    assert [b.pk for b in setup.issue.blocks.all()] == [second.pk, first.pk]
    assert Block.objects.get(pk=first.pk).body == "Kept"


def test_a_save_over_a_colleagues_shows_both_and_writes_nothing(
    setup: Setup, client: Client
) -> None:
    block = setup.issue.blocks.get()
    opened_at = editor_data(setup.issue)["version"]
    client.force_login(setup.cast.manager)
    client.post(
        setup.issue.get_absolute_url(),
        editor_data(setup.issue, blocks={block.pk: ("Three CV tips", "The manager's text")}),
    )

    client.force_login(setup.cast.owner)
    mine = editor_data(
        setup.issue,
        version=int(opened_at),
        blocks={block.pk: ("Three CV tips", "Olivia's text")},
    )
    page = client.post(setup.issue.get_absolute_url(), mine)

    assert page.status_code == 409
    text = page.content.decode()
    assert "Changed while you were editing" in text
    assert "The manager&#x27;s text" in text  # what they saved
    assert "Olivia&#x27;s text</textarea>" in text  # what I typed, still in the form
    assert Block.objects.get(pk=block.pk).body == "The manager's text"

    # Saving again from that page is a deliberate choice, and keeps mine.
    again = client.post(
        setup.issue.get_absolute_url(),
        {**mine, "version": str(Issue.objects.get(pk=setup.issue.pk).version)},
    )
    assert again.status_code == 302
    assert Block.objects.get(pk=block.pk).body == "Olivia's text"


def test_a_block_removed_meanwhile_gives_back_the_text_written_for_it(
    setup: Setup, client: Client
) -> None:
    second = _second_block(setup)
    mine = editor_data(setup.issue, blocks={second.pk: ("Interviews", "Words worth keeping")})
    client.force_login(setup.cast.manager)
    client.post(
        setup.issue.get_absolute_url(), editor_data(setup.issue, action=f"remove:{second.pk}")
    )

    client.force_login(setup.cast.owner)
    page = client.post(setup.issue.get_absolute_url(), mine)

    assert page.status_code == 409
    assert "Words worth keeping</textarea>" in page.content.decode()


def test_the_preview_shows_unsaved_text_and_saves_nothing(setup: Setup, client: Client) -> None:
    block = setup.issue.blocks.get()
    client.force_login(setup.cast.owner)
    typed = editor_data(setup.issue, blocks={block.pk: ("Three CV tips", "Not saved yet")})

    preview = client.post(f"/newsletters/issues/{setup.issue.pk}/preview/", typed)

    assert b"Not saved yet" in preview.content
    assert Block.objects.get(pk=block.pk).body != "Not saved yet"
