from django.db import migrations


def load(apps, schema_editor):
    from marketplace.catalog.adminunits import load_admin_units

    load_admin_units(apps.get_model("catalog", "AdminUnit"), apps.get_model("catalog", "AdminUnitMapping"))


def unload(apps, schema_editor):
    apps.get_model("catalog", "AdminUnitMapping").objects.all().delete()
    apps.get_model("catalog", "AdminUnit").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
