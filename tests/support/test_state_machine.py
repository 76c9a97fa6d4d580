"""Random actions by random members on one ticket: the status always follows the issue's table, a
refused action changes nothing, the history records every change chained from creation, and the
first response is the first assignment or staff reply.

The oracle below is written from the issue text, independently of `savdo.support.choices` and the
services' permission code, so a mistake in either shows up here.
"""

import itertools

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from rest_framework.exceptions import PermissionDenied

from savdo.support import services
from savdo.support.exceptions import TicketTransitionRefused
from savdo.support.models import Ticket, TicketComment, TicketHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory

# The table: action -> (allowed from, to).
TABLE = {
    "assign": ({"new", "assigned", "in_progress", "reopened"}, "assigned"),
    "start_work": ({"assigned", "reopened"}, "in_progress"),
    "resolve": ({"in_progress"}, "resolved"),
    "close": ({"resolved"}, "closed"),
    "reopen": ({"resolved", "closed"}, "reopened"),
}
MANAGER_ROLES = {"owner", "admin", "manager"}
# Members of the store the machine acts as (name -> role); "stranger" works in another store.
ACTORS = {
    "owner": Role.OWNER,
    "manager": Role.MANAGER,
    "agent": Role.AGENT,
    "agent2": Role.AGENT,
    "cashier": Role.CASHIER,
}
# Who can be assigned: members in a support role; not a cashier, not another store's agent.
ASSIGNABLE = {"owner", "manager", "agent", "agent2"}


def may(*, role: str, actor: str, assignee: str | None, action: str, target: str | None) -> bool:
    """The documented roles: agents and managers work tickets; managers assign anyone, an agent only
    themselves; start_work, resolve and close are the assignee's or a manager's; anyone reopens."""
    if role == "cashier":
        return False
    if role in MANAGER_ROLES:
        return True
    if action == "assign":
        return target == actor
    if action in ("start_work", "resolve", "close"):
        return assignee == actor
    return True


def test_random_actions_follow_the_table(tenant, other_tenant):
    members = {name: Member(tenant, role) for name, role in ACTORS.items()}
    members["stranger"] = Member(other_tenant, Role.AGENT)
    customer = CustomerFactory(tenant=tenant)

    class TicketWorkflow(RuleBasedStateMachine):
        @initialize()
        def open_ticket(self):
            manager = members["manager"]
            self.ticket = services.ticket_create(
                tenant=tenant, membership=manager.membership, subject="Нет связи", customer=customer
            )
            self.status = "new"
            self.assignee = None
            self.history = [("create", "", "new", manager.user.pk, None, "")]
            self.resolution = ""
            self.reopens = 0
            self.first_response_at = None

        @rule(
            actor=st.sampled_from(sorted(ACTORS)),
            action=st.sampled_from(sorted(TABLE)),
            whom=st.sampled_from([*sorted(ASSIGNABLE), "cashier", "stranger"]),
            text=st.sampled_from(["", "   ", "Перезагрузили роутер", "ok"]),
        )
        def act(self, actor, action, whom, text):
            self._try(actor, action, whom, text)

        @rule(
            pick=st.integers(min_value=0, max_value=99),
            by_manager=st.booleans(),
            whom=st.sampled_from(sorted(ASSIGNABLE)),
            text=st.sampled_from(["Перезагрузили роутер", "ok"]),
        )
        def move_forward(self, pick, by_manager, whom, text):
            """An action the table allows from here, by someone allowed to take it: keeps random walks
            reaching every status (the random rule above then tries everything from there)."""
            possible = sorted(action for action, (sources, _) in TABLE.items() if self.status in sources)
            action = possible[pick % len(possible)]
            actor = "manager" if by_manager or self.assignee in (None, "owner") else self.assignee
            if action == "assign" and actor != "manager":
                whom = actor
            self._try(actor, action, whom, text)

        def _try(self, actor, action, whom, text):
            member = members[actor]
            allowed = may(role=member.role, actor=actor, assignee=self.assignee, action=action, target=whom)
            sources, destination = TABLE[action]
            kwargs = {}
            if action == "assign":
                kwargs = {"assignee": members[whom].user, "comment": text}
            elif action == "resolve":
                kwargs = {"resolution": text}
            else:
                kwargs = {"comment": text}
            # The order of refusals: not support staff (403), the table (400), this member on this
            # ticket (403), the payload (400).
            try:
                ticket = getattr(services, f"ticket_{action}")(
                    ticket=self.ticket, membership=member.membership, **kwargs
                )
            except PermissionDenied:
                assert not allowed, (actor, action, whom, self.status)
                assert member.role == "cashier" or self.status in sources
                return
            except TicketTransitionRefused as exc:
                assert member.role != "cashier" and self.status not in sources, (actor, action, self.status)
                assert f"({self.status})" in str(exc.detail)
                return
            except ValidationError as exc:
                assert allowed and self.status in sources
                if action == "assign":
                    assert whom not in ASSIGNABLE and list(exc.message_dict) == ["user_id"]
                else:
                    assert action == "resolve" and not text.strip() and list(exc.message_dict) == ["resolution"]
                return
            assert allowed and self.status in sources, (actor, action, self.status)
            assert action != "assign" or whom in ASSIGNABLE
            assert action != "resolve" or text.strip()
            assignee_id = None
            if action == "assign":
                self.assignee = whom
                assignee_id = members[whom].user.pk
                if self.first_response_at is None:
                    self.first_response_at = ticket.assigned_at
            if action == "resolve":
                self.resolution = text.strip()
            if action == "reopen":
                self.reopens += 1
            self.history.append((action, self.status, destination, member.user.pk, assignee_id, text.strip()))
            self.status = destination

        @rule(actor=st.sampled_from(sorted(ACTORS)), internal=st.booleans())
        def comment(self, actor, internal):
            member = members[actor]
            try:
                comment = services.ticket_comment_create(
                    ticket=self.ticket, membership=member.membership, text="Связались с абонентом", is_internal=internal
                )
            except PermissionDenied:
                assert member.role == "cashier"
                return
            assert member.role != "cashier"
            if not internal and self.first_response_at is None:
                self.first_response_at = comment.created_at

        @invariant()
        def database_agrees(self):
            ticket = Ticket.objects.get(pk=self.ticket.pk)
            assert ticket.status == self.status
            rows = list(
                TicketHistory.objects.filter(ticket=ticket)
                .order_by("created_at", "id")
                .values_list("action", "from_status", "to_status", "actor_id", "assignee_id", "comment")
            )
            assert rows == self.history
            for before, after in itertools.pairwise(rows):
                assert after[1] == before[2]  # each change starts where the previous one ended
            assert rows[-1][2] == ticket.status
            assert ticket.assigned_to_id == (members[self.assignee].user.pk if self.assignee else None)
            assert ticket.resolution == self.resolution
            assert ticket.reopen_count == self.reopens
            assert (ticket.resolved_at is not None) == (ticket.status in ("resolved", "closed"))
            assert (ticket.closed_at is not None) == (ticket.status == "closed")
            assert ticket.first_response_at == self.first_response_at
            # ... which is also what the rows say: the first assignment or public reply, whichever came first.
            moments = [
                *TicketHistory.objects.filter(ticket=ticket, action="assign").values_list("created_at", flat=True),
                *TicketComment.objects.filter(ticket=ticket, is_internal=False).values_list("created_at", flat=True),
            ]
            assert ticket.first_response_at == (min(moments) if moments else None)

    run_state_machine_as_test(
        TicketWorkflow,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
