from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.signals"
    label = "signals"

    def ready(self) -> None:
        from keepwarm.care.services import call_note_logged
        from keepwarm.care.services.placements import placement_ended
        from keepwarm.lib.events import domain_event
        from keepwarm.signals.services.fitting import on_placement_ended
        from keepwarm.signals.services.responses import on_questionnaire_answered
        from keepwarm.signals.services.texts import on_call_note_logged

        # A questionnaire answered (announced by surveys) moves the placement's risk.
        domain_event.connect(on_questionnaire_answered, dispatch_uid="signals.responses")
        # A placement that ended becomes a labelled example and its open alert closes, in
        # the transaction that recorded the ending.
        placement_ended.connect(on_placement_ended, dispatch_uid="signals.fitting")
        # A call logged with a note: the note is read, and leaving intent moves the risk.
        call_note_logged.connect(on_call_note_logged, dispatch_uid="signals.texts")
