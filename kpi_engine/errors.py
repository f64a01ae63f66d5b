"""The one kind of error a user can cause: a code, and the message in Chinese and English.

Every error the product raises for the user's data, files or commands is a :class:`KpiError`
(the engine's own: scheme, input, period, formula; the workbook's and the commands' derive from
it too). The command line and the Excel add-in catch this one type and show ``text(lang)``; what
is not a KpiError is a bug, logged with its traceback. ``str`` gives both languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

from .i18n import both, lang_of


class KpiError(ValueError):
    """An error for the user: ``code`` (stable, for tests and callers) and ``zh`` / ``en`` texts (a
    ValueError: what the user gave cannot be used)."""

    code = "error"
    section = "error"  # the catalogs' section of this class's messages (see :meth:`of`)

    def __init__(self, zh: str, en: str | None = None, *, code: str | None = None):
        self.zh, self.en = zh, zh if en is None else en
        if code:
            self.code = code
        super().__init__(self.zh if self.zh == self.en else f"{self.zh} / {self.en}")

    @classmethod
    def of(cls, code: str, /, **fields: Any) -> Self:
        """The error whose message is ``<section>.<code>`` in the catalogs (``error.<code>``
        unless the class names another section), with ``code`` as its code."""
        zh, en = both(f"{cls.section}.{code}", **fields)
        return cls(zh, en, code=code)

    def text(self, lang: Any = "zh") -> str:
        """The message in the user's language."""
        return self.en if lang_of(lang) == "en" else self.zh
