from django.db import migrations


class Migration(migrations.Migration):
    """The tools column is gone: an agent's tools are its catalogue links (moved there by 0003)."""

    dependencies = [
        ("agents", "0003_tools_into_catalogue"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="agent",
            name="agents_agent_tools_is_array",
        ),
        migrations.RemoveField(
            model_name="agent",
            name="tools",
        ),
    ]
