from rest_framework.permissions import BasePermission

from runtime.authentication import ApiKeyUser


class HasScope(BasePermission):
    """A runtime key needs the view's ``required_scope``; a logged-in staff user may browse everything."""

    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request, view):
        user = request.user
        if isinstance(user, ApiKeyUser):
            required = getattr(view, "required_scope", None)
            if required is None:
                return False
            self.message = f"This API key lacks the “{required}” scope."
            return user.has_scope(required)
        return bool(user and user.is_authenticated and user.is_staff)
