"""The demo shop's staff tasks: four weeks of work handed out from templates (and a few ad hoc), in
every status, with comments, one review rejected and then approved, all in the shop's language.

Every task goes through `savdo.tasks.services` (creation, transitions, comments: the same rules and
history rows as through the API), at the moment it happens in the story; the services stamp the
current time, so each step's rows are then moved back to that moment.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from savdo.tasks import services
from savdo.tasks.choices import TRANSITIONS, TaskAction, TaskCategory, TaskPriority
from savdo.tasks.models import Task, TaskComment, TaskHistory, TaskTemplate
from savdo.tenancy.models import Membership, Role, Tenant

HISTORY_DAYS = 28
WORK_HOURS = (9, 18)  # tasks are handed out during the day

# (title, description, priority, category, due hours after creation, what the assignee reports)
TEMPLATES = [
    (
        _("Stock count: dairy"),
        _("Count the dairy shelves and the fridge; write the differences into the count sheet."),
        TaskPriority.HIGH,
        TaskCategory.INVENTORY,
        8,
        _("Done, the differences are in the count sheet."),
    ),
    (
        _("Check expiry dates"),
        _("Go through dairy, bread and sweets; take off the shelves what expires within two days."),
        TaskPriority.MEDIUM,
        TaskCategory.INVENTORY,
        4,
        _("Done. Two packs of kefir expire tomorrow: moved them to the discount shelf."),
    ),
    (
        _("Receive a supplier delivery"),
        _("Check quantities and expiry dates against the invoice, then put the goods on the shelves."),
        TaskPriority.HIGH,
        TaskCategory.INVENTORY,
        3,
        _("Received; one box of juice was dented, noted on the invoice."),
    ),
    (
        _("Update price tags"),
        _("Print and replace the price tags of the goods whose prices changed this week."),
        TaskPriority.MEDIUM,
        TaskCategory.SALES,
        24,
        _("All price tags replaced."),
    ),
    (
        _("Wet cleaning of the sales floor"),
        _("Floor, shelves at eye level and the glass of the fridges."),
        TaskPriority.LOW,
        TaskCategory.CLEANING,
        2,
        _("Done, photos sent to the chat."),
    ),
    (
        _("Call VIP customers about new arrivals"),
        _("Tell the VIP customers about this week's new goods and offers; note who is interested."),
        TaskPriority.MEDIUM,
        TaskCategory.CUSTOMER_SERVICE,
        48,
        _("Called everyone; three customers asked to set goods aside for them."),
    ),
    (
        _("Check the card terminal and the receipt printer"),
        _("Make a test payment, check the receipt paper stock and clean the printer head."),
        TaskPriority.MEDIUM,
        TaskCategory.MAINTENANCE,
        24,
        _("The terminal works; put in a new roll of receipt paper."),
    ),
]
# One-off tasks a manager types in: (title, description, priority, category).
AD_HOC = [
    (
        _("Call the milk supplier about the short delivery"),
        _("Yesterday's delivery was 12 packs of kefir short: agree when they bring them."),
        TaskPriority.URGENT,
        TaskCategory.INVENTORY,
    ),
    (
        _("Rearrange the drinks fridge"),
        _("Cold drinks at the front, water on the lower shelf."),
        TaskPriority.LOW,
        TaskCategory.SALES,
    ),
]
# What assignees write while working, and what managers answer.
PROGRESS_COMMENTS = [
    _("Working on it, will finish before lunch."),
    _("Half done, the rest after the delivery."),
    _("Started; need the key to the storeroom."),
]
DONE_COMMENTS = [
    _("Done."),
    _("Everything checked, no remarks."),
]
MANAGER_NOTES = [
    _("Please also check the fridge by the entrance."),
    _("Thank you!"),
    _("Do it before the evening rush, please."),
]
REJECT_COMMENT = _("The price tags on the top shelf are still the old ones: please finish.")
REDONE_COMMENT = _("Replaced the top shelf too.")
APPROVE_COMMENT = _("Accepted, thank you.")
CANCEL_COMMENT = _("The supplier moved the delivery to next week.")

ASSIGNEE_STEPS = frozenset({"start", "submit_for_review", "complete"})
# How each story ends: the actions after creation (in order).
DONE_WITH_REVIEW = ("start", "comment", "submit_for_review", "approve")
REJECTED_THEN_APPROVED = ("start", "submit_for_review", "reject", "comment", "submit_for_review", "approve")
DONE_DIRECTLY = ("start", "complete")
CANCELLED = ("cancel",)
ON_REVIEW = ("start", "comment", "submit_for_review")
IN_PROGRESS = ("start", "comment")
PENDING = ()


@dataclass
class _Story:
    created: datetime
    template: TaskTemplate | None
    ad_hoc: tuple | None
    creator: Membership
    assignee: Membership
    steps: tuple[str, ...]


def _stories(*, members: dict, templates: list, now: datetime, zone: ZoneInfo, rng: random.Random) -> list[_Story]:
    """About one task a working day over `HISTORY_DAYS`: older ones finished (a few cancelled, one
    rejected once and then approved), the last days' still open, in every open status."""
    staff = members[Role.CASHIER] + members[Role.MANAGER]
    today = now.astimezone(zone).date()
    stories = []
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        if day.weekday() == 6 and days_ago:  # quiet Sundays
            continue
        for _n in range(2 if days_ago <= 3 or rng.random() < 0.25 else 1):
            hour = rng.randrange(*WORK_HOURS)
            created = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=zone)
            if days_ago == 0 and created >= now:
                created = now - timedelta(minutes=rng.randrange(20, 90))
            if days_ago > 3:
                steps = rng.choice((DONE_WITH_REVIEW, DONE_WITH_REVIEW, DONE_DIRECTLY, DONE_DIRECTLY, DONE_WITH_REVIEW))
            else:
                steps = rng.choice((PENDING, IN_PROGRESS, ON_REVIEW, DONE_WITH_REVIEW))
            assignee = rng.choice(staff)
            # The manager hands out the work; the owner gives the manager theirs.
            creator = members[Role.OWNER][0] if assignee.role == Role.MANAGER else members[Role.MANAGER][0]
            ad_hoc = AD_HOC[len(stories) % len(AD_HOC)] if rng.random() < 0.15 else None
            stories.append(_Story(created, None if ad_hoc else rng.choice(templates), ad_hoc, creator, assignee, steps))
    # Every status, whatever the draws: one review rejected then approved, two cancellations, and
    # the newest tasks open in each open status.
    cashier = members[Role.CASHIER][0]
    price_tags = next(t for t in templates if t.category == TaskCategory.SALES)
    middle = stories[len(stories) // 2]
    middle.template, middle.ad_hoc, middle.assignee = price_tags, None, cashier
    middle.creator, middle.steps = members[Role.MANAGER][0], REJECTED_THEN_APPROVED
    stories[len(stories) // 3].steps = CANCELLED
    stories[len(stories) // 5].steps = ("start", "cancel")
    for story, steps in zip(stories[-3:], (ON_REVIEW, IN_PROGRESS, PENDING), strict=True):
        story.steps = steps
    return stories


def _working_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment`, or the next morning if it falls after working hours (or before them)."""
    local = moment.astimezone(zone)
    if local.hour >= WORK_HOURS[1] + 2:
        local = datetime.combine(local.date() + timedelta(days=1), time(WORK_HOURS[0], local.minute), tzinfo=zone)
    elif local.hour < WORK_HOURS[0]:
        local = datetime.combine(local.date(), time(WORK_HOURS[0], local.minute), tzinfo=zone)
    return local


def _moments(story: _Story, now: datetime, zone: ZoneInfo, rng: random.Random) -> list[datetime]:
    """When each step happens: an hour or a few after the one before, in working hours where that
    still leaves it before now; all of them before now."""
    gaps = [rng.uniform(0.5, 3) for _ in story.steps]
    room = (now - story.created).total_seconds() / 3600 * 0.9
    scale = min(1.0, room / sum(gaps)) if gaps else 1.0
    moments, moment = [], story.created
    for gap in gaps:
        moment = moment + timedelta(hours=gap * scale)
        shifted = _working_time(moment, zone)
        if shifted < now - timedelta(hours=sum(gaps[len(moments) :]) * scale):
            moment = shifted
        moments.append(moment)
    return moments


def _backdate_last_change(task: Task, action: str, moment: datetime) -> None:
    """Move the rows the last transition wrote (status stamp, history row, rejection comment) to `moment`."""
    stamps = {"updated_at": moment}
    if TRANSITIONS[action].stamps:
        stamps[TRANSITIONS[action].stamps] = moment
    Task.objects.filter(pk=task.pk).update(**stamps)
    TaskHistory.objects.filter(pk=task.history.order_by("-id").values_list("pk", flat=True)[:1]).update(
        created_at=moment
    )
    if action == TaskAction.REJECT:
        TaskComment.objects.filter(pk=task.comments.order_by("-id").values_list("pk", flat=True)[:1]).update(
            created_at=moment
        )


def _tell(task: Task, who: Membership, text, moment: datetime) -> None:
    """`who` comments on the task at `moment`."""
    comment = services.task_comment_create(task=task, actor=who, text=str(text))
    TaskComment.objects.filter(pk=comment.pk).update(created_at=moment)


def _play(story: _Story, *, reports: dict[int, str], now: datetime, zone: ZoneInfo, rng: random.Random) -> Task:
    """Create the story's task and take its steps, each at its moment (`reports`: what the assignee
    of a template's task reports when done, per template id)."""
    due_hours = story.template.default_due_hours if story.template else 24
    due = _working_time(story.created + timedelta(hours=due_hours), zone)
    if story.template is not None:
        task = services.task_create_from_template(
            template=story.template, actor=story.creator, assigned_to=story.assignee.user, due_date=due
        )
    else:
        title, description, priority, category = story.ad_hoc
        task = services.task_create(
            actor=story.creator,
            title=str(title),
            description=str(description),
            priority=priority,
            category=category,
            assigned_to=story.assignee.user,
            due_date=due,
        )
    Task.objects.filter(pk=task.pk).update(created_at=story.created, updated_at=story.created)
    TaskHistory.objects.filter(task=task).update(created_at=story.created)
    worker, reviewer = story.assignee, story.creator
    rejected = False
    for step, moment in zip(story.steps, _moments(story, now, zone, rng), strict=True):
        if step == "comment":
            text = REDONE_COMMENT if rejected else rng.choice(PROGRESS_COMMENTS)
            _tell(task, worker, text, moment)
            continue
        actor = worker if step in ASSIGNEE_STEPS else reviewer
        # The reviewer's word goes with the action (a rejection's also becomes a comment).
        comment = {"reject": REJECT_COMMENT, "approve": APPROVE_COMMENT, "cancel": CANCEL_COMMENT}.get(step, "")
        rejected = rejected or step == "reject"
        task = services.task_transition(task=task, actor=actor, action=step, comment=str(comment))
        _backdate_last_change(task, step, moment)
        if step in ("submit_for_review", "complete") and not rejected:
            report = story.template and reports.get(story.template.pk)
            _tell(task, worker, report if report and rng.random() < 0.7 else rng.choice(DONE_COMMENTS), moment)
        if step == "start" and rng.random() < 0.2:
            note_at = min(moment + timedelta(minutes=rng.randrange(5, 40)), now)
            _tell(task, reviewer, rng.choice(MANAGER_NOTES), note_at)
    return task


@transaction.atomic
def demo_tasks_create(*, tenant: Tenant, now: datetime, seed: int) -> int:
    """Write the demo shop's task templates and four weeks of tasks; returns the number of tasks.

    Preconditions: the tenant has an owner, a manager and at least one cashier (active members).
    """
    rng = random.Random(seed)
    zone = ZoneInfo(tenant.time_zone)
    members: dict[str, list[Membership]] = {Role.OWNER: [], Role.MANAGER: [], Role.CASHIER: []}
    memberships = Membership.objects.filter(tenant=tenant, is_active=True).select_related("user", "tenant")
    for membership in memberships.order_by("pk"):
        if membership.role in members:
            members[membership.role].append(membership)
    with translation.override(tenant.language):
        manager = members[Role.MANAGER][0]
        templates = [
            TaskTemplate.objects.create(
                tenant=tenant,
                title=str(title),
                description=str(description),
                priority=priority,
                category=category,
                default_due_hours=due_hours,
                created_by=manager.user,
            )
            for title, description, priority, category, due_hours, _report in TEMPLATES
        ]
        reports = {template.pk: str(entry[5]) for template, entry in zip(templates, TEMPLATES, strict=True)}
        first_day = now - timedelta(days=HISTORY_DAYS + 1)
        TaskTemplate.objects.filter(tenant=tenant).update(created_at=first_day, updated_at=first_day)
        stories = _stories(members=members, templates=templates, now=now, zone=zone, rng=rng)
        for story in stories:
            _play(story, reports=reports, now=now, zone=zone, rng=rng)
    return len(stories)
