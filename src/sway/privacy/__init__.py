"""Privacy: erasure, minors, visibility of scores, access requests, the audit log, and the
integrity check of a store.

The functions the CLI, the API and the dashboard call (see ``docs/privacy.md``):

- :func:`forget` erases accounts or a person, everywhere, for good (:func:`plan_forget` checks
  what it was asked, reading only);
- :func:`export_person` gives everything held about a person, as JSON-ready data;
- :func:`visibility` and :func:`set_visibility` read and set who may see a person's scores;
- :func:`audit_entries` lists the audit log; :func:`record` appends to it;
  :func:`drain_journal` moves a server's journaled entries into it;
- :func:`check` verifies a store's integrity.
"""

from __future__ import annotations

from sway.privacy.audit import drain_journal, record
from sway.privacy.audit import entries as audit_entries
from sway.privacy.check import CheckReport, check
from sway.privacy.export import export_person
from sway.privacy.forget import ForgetReport, forget, plan_forget
from sway.privacy.minors import minor_age, set_minor_age
from sway.privacy.visibility import Visibility, set_visibility, visibility

__all__ = [
    "CheckReport",
    "ForgetReport",
    "Visibility",
    "audit_entries",
    "check",
    "drain_journal",
    "export_person",
    "forget",
    "minor_age",
    "plan_forget",
    "record",
    "set_minor_age",
    "set_visibility",
    "visibility",
]
