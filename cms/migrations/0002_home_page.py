from django.db import migrations


def create_home(apps, schema_editor):
    """Replace Wagtail's welcome page with our home page, served by the default site."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    HomePage = apps.get_model("cms", "HomePage")
    Locale = apps.get_model("wagtailcore", "Locale")

    Page.objects.filter(depth=2, content_type__app_label="wagtailcore").delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    locale = Locale.objects.first()
    home = HomePage.objects.create(
        title="Chợ OCOP", draft_title="Chợ OCOP", slug="home", content_type=content_type, path="00010001",
        depth=2, numchild=0, url_path="/home/", live=True, locale=locale,
        intro="Sản phẩm OCOP 3–5 sao của các xã, phường trên cả nước — mua trực tiếp từ hợp tác xã và hộ sản xuất.",
    )
    Page.objects.filter(depth=1).update(numchild=1)
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Chợ OCOP"})


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial"), ("wagtailcore", "0001_initial"), ("wagtailcore", "0094_alter_page_locale")]
    operations = [migrations.RunPython(create_home, migrations.RunPython.noop)]
