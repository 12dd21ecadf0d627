from django import forms

from kshare.people.models import Team
from kshare.programmes.models import Programme, Visibility


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "description",
            "cadence",
            "lead_time_days",
            "visibility",
            "teams",
            "feedback_anonymous",
            "feedback_open_days",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
            "teams": forms.CheckboxSelectMultiple,
            "visibility": forms.RadioSelect,
        }
        labels = {
            "lead_time_days": "Invitation lead time (days)",
            "feedback_open_days": "Feedback form open for (days)",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.order_by("name")
        self.fields["teams"].required = False
        # Left empty (or posted by an older form), the open days stay as they were.
        self.fields["feedback_open_days"].required = False

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the programme a name.")
        clash = Programme.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A programme with this name exists already.")
        return name

    def clean_feedback_open_days(self) -> int:
        days = self.cleaned_data.get("feedback_open_days")
        return self.instance.feedback_open_days if days is None else days

    def clean(self) -> dict:
        data = super().clean()
        if data.get("visibility") == Visibility.TEAMS and not data.get("teams"):
            self.add_error("teams", "Choose at least one team, or open the programme to everyone.")
        return data
