"""The public feedback form. Its hidden token carries a signed submission id: submitting the same page twice
(double click, reload after POST) stores one item, and nobody can forge the id of someone else's submission."""

import uuid

from django import forms
from django.conf import settings
from django.core import signing

from feedback.models import MAX_TEXT_LENGTH
from feedback.text import feedback_text_validate
from pitwall.errors import ApplicationError

_SALT = "feedback.web-form"


def new_submission_token() -> str:
    return signing.TimestampSigner(salt=_SALT).sign(uuid.uuid4().hex)


class FeedbackWebForm(forms.Form):
    text = forms.CharField(
        label="Your feedback",
        max_length=MAX_TEXT_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 70, "maxlength": MAX_TEXT_LENGTH}),
        help_text="What worked, what did not, how fast it felt. Please leave out anything private.",
    )
    handle = forms.CharField(
        label="Name or handle (optional)",
        required=False,
        max_length=80,
        help_text="Shown to the maintainers with your feedback; leave empty to stay anonymous.",
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_text(self) -> str:
        try:
            return feedback_text_validate(self.cleaned_data["text"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean_token(self) -> uuid.UUID:
        max_age = settings.PITWALL_FEEDBACK_FORM_MAX_AGE_HOURS * 3600
        try:
            value = signing.TimestampSigner(salt=_SALT).unsign(self.cleaned_data["token"], max_age=max_age)
            return uuid.UUID(hex=value)
        except signing.SignatureExpired as exc:
            raise forms.ValidationError("This form has expired; your text is kept, send it again.",
                                        code="expired") from exc
        except (signing.BadSignature, ValueError) as exc:
            raise forms.ValidationError("This form is invalid; reload the page.", code="invalid") from exc

    def renewed(self) -> "FeedbackWebForm":
        """The same form with a fresh token, for showing it again after an expired or forged one."""
        data = {key: self.data.get(key) for key in self.data}
        data["token"] = new_submission_token()
        return FeedbackWebForm(data=data)
