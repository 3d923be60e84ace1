"""Form pieces shared by versioned components: the change note and the no-lost-update check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from versioning.admin_mixins import sign_snapshot, unsign_snapshot
from versioning.components import ComponentKind
from versioning.diffs import summarize_changes
from versioning.selectors import environments
from versioning.services import ConcurrentEditError, check_revision


class VersionedFormMixin(forms.Form):
    change_note = forms.CharField(
        label=_("Why this change?"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Required. Saved with the draft and shown in the history (e.g. “Clarify refund deadline”)."),
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False, label=_("Base revision"))
    base_snapshot = forms.CharField(widget=forms.HiddenInput, required=False)

    versioned_kind: ComponentKind  # set by the admin
    instance: Any

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and not self.is_bound:
            self.initial["base_revision"] = instance.revision
            self.initial["base_snapshot"] = sign_snapshot(self.versioned_kind.snapshot(instance))

    def check_concurrent_edit(self) -> None:
        """Refuse the save if someone else saved after this form was opened (runs inside the admin's
        transaction, with the row locked until the save commits)."""
        instance = self.instance
        if instance is None or not instance.pk:
            return
        base_revision = self.cleaned_data.get("base_revision")
        if base_revision is None:
            return
        current = type(instance).objects.select_for_update().get(pk=instance.pk)
        try:
            check_revision(
                kind=self.versioned_kind,
                current=current,
                expected_revision=base_revision,
                base_snapshot=unsign_snapshot(self.cleaned_data.get("base_snapshot") or ""),
            )
        except ConcurrentEditError as exc:
            lines = summarize_changes(exc.changes) or [gettext("(details unavailable)")]
            if exc.saved_by:
                sentence = gettext(
                    "%(object)s was changed by %(user)s after you opened it, so your changes were "
                    "<strong>not saved</strong>. What changed meanwhile:%(changes)sReload the page to see the "
                    "current version, then apply your edits again."
                )
            else:
                sentence = gettext(
                    "%(object)s was changed after you opened it, so your changes were <strong>not saved</strong>. "
                    "What changed meanwhile:%(changes)sReload the page to see the current version, then apply "
                    "your edits again."
                )
            changes = format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))
            # The sentence's own markup comes from the catalogue; the names in it are escaped.
            raise ValidationError(
                mark_safe(
                    sentence % {"object": escape(str(current)), "user": escape(exc.saved_by), "changes": changes}
                ),
                code="concurrent_edit",
            ) from None


class ComponentFormMixin(VersionedFormMixin):
    """The agent and team forms: some Agno parameters get a field of their own, the rest are edited as
    "other parameters"; the component's service validation runs as form validation."""

    id_field = ""  # "agent_id" / "team_id": fixed once published (runtimes ask for it)
    form_parameters: tuple[str, ...] = ()
    parameter_defaults: dict[str, object] = {}  # Agno's default: not stored when chosen

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        params = dict(self.instance.parameters or {}) if self.instance else {}
        if not self.is_bound:
            for name in self.form_parameters:
                if name in params:
                    self.initial[name] = params.pop(name)
            self.initial["other_parameters"] = params
        if self.instance and self.instance.pk and self.instance.version and self.id_field in self.fields:
            self.fields[self.id_field].disabled = True
            self.fields[self.id_field].help_text = gettext("Published components keep their ID: runtimes ask for it.")

    def clean(self):
        cleaned = super().clean()
        self.check_concurrent_edit()
        parameters = dict(cleaned.get("other_parameters") or {})
        for name in self.form_parameters:
            value = cleaned.get(name)
            if value is None or value == "":
                continue
            default = self.parameter_defaults.get(name, False if isinstance(value, bool) else None)
            if value == default and type(value) is type(default):
                continue
            parameters[name] = value
        self.instance.parameters = parameters
        return cleaned

    def validate_component(self, instance) -> None:
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        # The service's rules (Agno types of settings and parameters) as form errors, not 500s.
        try:
            self.validate_component(self.instance)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                target = "other_parameters" if field == "parameters" else field
                if target not in self.fields:
                    target = None
                for message in messages:
                    if target is None or target not in self.errors:
                        self.add_error(target, message)


class LiveAtForm(forms.Form):
    """The "what was live when" question: an environment of the pipeline and a moment (default now)."""

    environment = forms.ChoiceField(label=_("Environment"), choices=())
    at = forms.DateTimeField(
        label=_("At"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = environments()
        self.fields["environment"].choices = [(name, name) for name in names]
        self.fields["environment"].initial = names[-1]
