from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "savdo.core"
    label = "core"

    def ready(self):
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from savdo.core import counts, rls

        counts.connect()
        post_migrate.connect(rls._after_migrate, dispatch_uid="savdo-rls-policies")
        request_finished.connect(rls._leave_all, dispatch_uid="savdo-rls-leave")
        connection_created.connect(rls._connection_created, dispatch_uid="savdo-rls-bind")
