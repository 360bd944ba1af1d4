from django.db import migrations, models
import django.db.models.deletion


def copy_from_commune_pages(apps, schema_editor):
    """Record the editors group of every existing commune page. Read with SQL, not through the
    cms app's models: the catalogue sits below cms and must migrate without it (on a new
    database the page table does not exist yet and there is nothing to copy)."""
    connection = schema_editor.connection
    if "cms_communepage" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT admin_unit_id, editors_group_id FROM cms_communepage WHERE editors_group_id IS NOT NULL")
        rows = cursor.fetchall()
    CommuneEditors = apps.get_model("catalog", "CommuneEditors")
    for commune_id, group_id in rows:
        if not CommuneEditors.objects.filter(models.Q(commune_id=commune_id) | models.Q(group_id=group_id)).exists():
            CommuneEditors.objects.create(commune_id=commune_id, group_id=group_id)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("catalog", "0002_load_admin_units"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommuneEditors",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("commune", models.OneToOneField(limit_choices_to={"level": 3}, on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="editors", to="catalog.adminunit")),
                ("group", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="commune_editors",
                                               to="auth.group")),
            ],
            options={"verbose_name": "nhóm biên tập xã", "verbose_name_plural": "nhóm biên tập xã"},
        ),
        migrations.RunPython(copy_from_commune_pages, migrations.RunPython.noop),
    ]
