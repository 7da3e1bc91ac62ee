"""The triples of a meeting's action items and decisions (called from ``rdf/mapping.py``)."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.term import Node

from escape_kg.model import Action, Decision, EntityRef, Kind, Meeting
from escape_kg.rdf.iris import Minter
from escape_kg.rdf.namespaces import EKG, RDF, SCHEMA, XSD

__all__ = ["action_triples"]

Triple = tuple[Node, Node, Node]

_STATUS = {"open": SCHEMA.ActiveActionStatus, "done": SCHEMA.CompletedActionStatus}


def _line(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def _action(action: Action, minter: Minter, mkey: str, meeting: URIRef) -> list[Triple]:
    s = minter.entity(EntityRef(Kind.ACTION, action.key))
    record = minter.action_status(mkey, action.key)
    status = _STATUS[action.status]
    out: list[Triple] = [
        (s, RDF.type, EKG.ActionItem),
        (s, SCHEMA.description, Literal(action.text)),
        # What this document says; across meetings, ekg:statusAt records tell which is latest.
        (s, SCHEMA.actionStatus, status),
        (s, EKG.raisedIn, meeting),
        (s, EKG.line, _line(action.span.line)),
        (s, EKG.statusAt, record),
        (record, RDF.type, EKG.ActionStatus),
        (record, SCHEMA.actionStatus, status),
        (record, EKG.statedAt, meeting),
        (record, EKG.line, _line(action.span.line)),
    ]
    if action.owner is not None:
        out.append((s, SCHEMA.agent, minter.entity(action.owner)))
    if action.owner_name:
        out.append((s, EKG.ownerName, Literal(action.owner_name)))
    if action.due is not None:
        out.append((s, EKG.dueDate, Literal(action.due, datatype=XSD.date)))
    if action.item is not None:
        out.append((record, EKG.inItem, minter.item(mkey, action.item)))
    return out


def _decision(decision: Decision, minter: Minter, mkey: str, meeting: URIRef) -> list[Triple]:
    s = minter.entity(EntityRef(Kind.DECISION, decision.key))
    out: list[Triple] = [
        (s, RDF.type, EKG.Decision),
        (s, SCHEMA.text, Literal(decision.text)),
        (s, EKG.decidedIn, meeting),
        (s, EKG.line, _line(decision.span.line)),
    ]
    if decision.item is not None:
        out.append((s, EKG.inItem, minter.item(mkey, decision.item)))
    return out


def action_triples(meeting: Meeting, minter: Minter, mkey: str) -> list[Triple]:
    """The triples stating ``meeting``'s actions (with one status record each) and decisions.

    Action IRIs do not depend on the meeting, so a later meeting's record of the same
    action (say, closing it) adds a second ``ekg:statusAt`` to the same node. Mentions
    of actions and decisions are ordinary ``Meeting.mentions``. Raises nothing.
    """
    iri = minter.meeting(mkey)
    out: list[Triple] = []
    for action in meeting.actions:
        out.extend(_action(action, minter, mkey, iri))
    for decision in meeting.decisions:
        out.extend(_decision(decision, minter, mkey, iri))
    return out
