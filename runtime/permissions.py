from rest_framework.permissions import BasePermission

from runtime.authentication import ApiKeyUser

# The scopes a logged-in staff user's session has, each given by the model permissions its role holds
# (a Viewer reads everything). ``metrics:write`` is deliberately absent: metrics and routing decisions come
# from runtimes with a key, and a browser session must not be able to forge dashboard data.
SESSION_SCOPES: dict[str, tuple[str, ...]] = {
    "config:read": ("agents.view_agent", "teams.view_team"),
    "knowledge:search": ("knowledge.view_knowledgeentry",),
    "typification:read": ("typification.view_typificationhierarchy",),
}


def session_scopes(user) -> frozenset[str]:
    """The API scopes of a person's session: none unless active staff, then those its permissions give."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return frozenset()
    return frozenset(scope for scope, perms in SESSION_SCOPES.items() if user.has_perms(perms))


class HasScope(BasePermission):
    """The principal — a runtime key, or a staff session with its role's scopes — needs the view's
    ``required_scope``; a view without one is closed to both."""

    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request, view):
        user = request.user
        required = getattr(view, "required_scope", None)
        if isinstance(user, ApiKeyUser):
            if required is None:
                return False
            self.message = f"This API key lacks the “{required}” scope."
            return user.has_scope(required)
        if required is None or not (user and user.is_authenticated and user.is_staff):
            return False
        self.message = f"Your role does not give the “{required}” scope; runtimes use an API key for it."
        return required in session_scopes(user)
