"""Idempotent demo data: the seed communes, 55 producers, 152 products with SKUs, stock,
OCOP certificates, batches and locally generated images, and one login per role."""
from __future__ import annotations

import datetime as dt
import hashlib
import io

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage, ImageDraw, ImageFont
from wagtail.images.models import Image

from marketplace.catalog import services as catalog
from marketplace.catalog.models import AdminUnit, Batch, Category, OcopCertificate, Producer, Sku

from . import services
from .articles import services as news_services
from .articles.selectors import month_start
from .demo_data import CATEGORIES, COMMUNES, GIVEN, NEWS_TOPICS, PROMOTION_TOPICS, SURNAMES
from .models import ArticlePage, CommunePage, ProducerPage

DEMO_PASSWORD = "ocop-demo-2025"
DEMO_USERS = {
    "operator": ("vanhanh", "Vận hành (quản trị toàn hệ thống)"),
    "editor": ("bientap.giaphu", "Biên tập viên xã Gia Phú (Lào Cai)"),
    "producer": ("nsx.chuoigiaphu", "Nhà sản xuất: HTX Chuối Gia Phú"),
    "editor2": ("bientap2.giaphu", "Biên tập viên thứ hai xã Gia Phú (duyệt bài viết)"),
    "officer": ("canbo.laocai", "Cán bộ tỉnh Lào Cai (xem bảng theo dõi)"),
}
NEWS_MONTHS = 12
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PREFIX = {"31135": "CT", "16941": "NA", "26425": "DN", "02923": "GP", "09784": "DP", "31299": "PD"}


def load_demo(stdout=None) -> dict:
    write = stdout.write if stdout else (lambda _s: None)
    services.roles_setup()
    services.site_configure()
    counts = {"producers": 0, "products": 0, "articles": 0}
    for n, (code, (story, producer_names, products)) in enumerate(COMMUNES.items()):
        with transaction.atomic():
            commune = AdminUnit.objects.get(scheme="2025", level=AdminUnit.Level.COMMUNE, code=code)
            commune_page = services.commune_page_get_or_create(commune=commune)
            services.commune_editors_setup(page=commune_page)  # idempotent; repairs older setups
            if not commune_page.intro:
                commune_page.intro = story
                commune_page.save_revision().publish()
            producer_pages = [_producer(commune, name, i) for i, name in enumerate(producer_names)]
            for i, line in enumerate(products):
                counts["products"] += _product(producer_pages[i % len(producer_pages)], code, i, line)
            counts["producers"] += len(producer_pages)
            counts["articles"] += _news(commune_page, n)
        write(f"  {commune.name}, {commune.parent.name}: {len(producer_names)} nhà sản xuất, {len(products)} sản phẩm\n")
    _pending_signup()
    users = _users()
    return {**counts, "users": users}


def _news(commune_page: CommunePage, n: int) -> int:
    """A year of articles: a promotion most months (some months missed, so the compliance
    dashboard shows both states), news every third month; once per commune (idempotent)."""
    index = news_services.news_index_get_or_create(commune_page=commune_page)
    if ArticlePage.objects.child_of(index).exists():
        return 0
    commune = commune_page.admin_unit.name
    products = list(_commune_products(commune_page))
    this_month, created = month_start(timezone.localdate()), 0
    for back in range(NEWS_MONTHS, -1, -1):
        month = this_month - relativedelta(months=back)
        if back == 0 and n % 2:
            continue  # half the communes have not published this month yet: the reminder's case
        if (back + n) % 5 != 0 and products:
            product = products[(back + n) % len(products)]
            title, intro = PROMOTION_TOPICS[(back + n) % len(PROMOTION_TOPICS)]
            created += _article(index, month, back, ArticlePage.Kind.PROMOTION, title.format(product=product.name, commune=commune),
                                intro.format(product=product.name, commune=commune), product)
        if back % 3 == 1:
            title, intro = NEWS_TOPICS[(back + n) % len(NEWS_TOPICS)]
            created += _article(index, month, back, ArticlePage.Kind.NEWS, title.format(commune=commune),
                                intro.format(commune=commune), None)
    return created


def _commune_products(commune_page: CommunePage):
    from marketplace.catalog.models import Product

    return Product.objects.filter(producer__commune=commune_page.admin_unit, is_published=True).select_related("image").order_by("pk")[:12]


def _article(index, month: dt.date, back: int, kind: str, title: str, intro: str, product) -> int:
    """A live article dated in `month` (no revision: demo content, written straight to the tree)."""
    day = min(3 + (_seed(title) % 20), 28) if back else 1
    published = timezone.make_aware(dt.datetime.combine(month.replace(day=day), dt.time(9, 0)))
    body = [("paragraph", f"<p>{intro}</p><p>Sản phẩm có mặt trên Chợ OCOP, giao hàng toàn quốc.</p>")]
    if product is not None:
        body.append(("product", {"product": product, "note": "Đặt mua ngay trên Chợ OCOP."}))
    body.append(("quote", {"text": "Mỗi sản phẩm OCOP là niềm tự hào của quê hương.", "attribution": "Ban biên tập xã"}))
    article = ArticlePage(
        title=title, slug=f"{month:%Y-%m}-{kind}-{_seed(title) % 10**6}", intro=intro, kind=kind, body=body,
        feed_image=product.image if product is not None else None, live=True, has_unpublished_changes=False,
        first_published_at=published, last_published_at=published,
    )
    index.add_child(instance=article)
    return 1


def _producer(commune: AdminUnit, name: str, i: int) -> ProducerPage:
    kind = (Producer.Kind.COOPERATIVE if name.startswith("HTX") else
            Producer.Kind.ENTERPRISE if name.startswith("Công ty") else Producer.Kind.HOUSEHOLD)
    seed = _seed(name)
    producer, _ = Producer.objects.get_or_create(
        name=name, commune=commune,
        defaults={
            "kind": kind, "phone": f"+849{seed % 100_000_000:08d}", "status": Producer.Status.APPROVED,
            "address": f"Ấp {1 + i % 7}, {commune.name}",
            "latitude": round((commune.latitude or 16) + ((seed % 200) - 100) / 4000, 5),
            "longitude": round((commune.longitude or 106) + ((seed // 200 % 200) - 100) / 4000, 5),
            "story": f"{name} do {SURNAMES[seed % len(SURNAMES)]} {GIVEN[seed % len(GIVEN)]} sáng lập, "
                     f"làm theo cách truyền thống của {commune.name}.",
            "privacy_consent_at": timezone.now(),
            "tax_code": f"{seed % 10**10:010d}" if kind != Producer.Kind.HOUSEHOLD else "",
        },
    )
    return services.producer_page_create(producer=producer)


def _product(producer_page: ProducerPage, commune_code: str, i: int, line) -> int:
    name, category_slug, sku_lines, stars = line
    base = f"{PREFIX[commune_code]}-{i + 1:03d}"
    skus = [catalog.SkuData(f"{base}-{suffix}", unit, price, weight) for suffix, unit, price, weight in sku_lines]
    if Sku.objects.filter(code=skus[0].code).exists():
        return 0
    category, _ = Category.objects.get_or_create(slug=category_slug, defaults={"name": CATEGORIES[category_slug]})
    page = services.listing_create(
        producer_page=producer_page, name=name, skus=skus, category=category, image=_image(name),
        summary=f"{name} — sản phẩm OCOP {stars} sao của {producer_page.producer.name}.",
        story=f"<p>{name} được làm từ nguyên liệu của {producer_page.producer.commune.name}, "
              f"qua quy trình kiểm soát chất lượng theo tiêu chuẩn OCOP.</p>",
    )
    product, seed = page.product, _seed(name + base)
    for position, sku in enumerate(product.skus.all()):
        catalog.stock_set(sku=sku, on_hand=5 + (seed + 13 * position) % 120)
    issued = timezone.localdate() - relativedelta(months=6 + seed % 30)
    if i == 3:  # one certificate per commune that expires soon, for the operator's report
        issued = timezone.localdate() - relativedelta(months=35)
    province = producer_page.producer.commune.parent
    catalog.certificate_save(certificate=OcopCertificate(
        product=product, stars=stars, criteria_group=_criteria(category_slug),
        decision_number=f"{100 + seed % 900}/QĐ-UBND" if i % 9 else "", issued_on=issued if i % 9 else None,
        issuer=("Bộ Nông nghiệp và Môi trường" if stars == 5 else f"UBND {province.name}") if i % 9 else "",
    ))
    for n in range(1 + seed % 2):
        produced = timezone.localdate() - dt.timedelta(days=10 + 30 * n + seed % 20)
        Batch.objects.create(
            product=product, lot_code=f"{base}-L{produced:%y%m%d}", produced_on=produced,
            best_before=produced + dt.timedelta(days=180 + seed % 365),
            growing_area_code=f"VT-{commune_code}-{seed % 100:02d}" if category_slug == "nong-san" else "",
            inputs="Nguyên liệu tại địa phương; không chất bảo quản.", certifications="VietGAP" if seed % 3 == 0 else "",
        )
    return 1


def _criteria(category_slug: str) -> str:
    group = OcopCertificate.CriteriaGroup
    return {"do-uong": group.BEVERAGE, "thao-duoc": group.HERBAL, "my-nghe": group.CRAFT}.get(category_slug, group.FOOD)


def _image(name: str) -> Image:
    title = f"demo: {name}"
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    seed = _seed(name)
    hue = [(seed >> s) % 156 + 80 for s in (0, 8, 16)]
    picture = PILImage.new("RGB", (800, 600), tuple(hue))
    draw = ImageDraw.Draw(picture)
    for y in range(0, 600, 6):
        shade = tuple(max(0, c - y // 12) for c in hue)
        draw.rectangle([0, y, 800, y + 6], fill=shade)
    draw.ellipse([250, 150, 550, 450], fill=(255, 255, 255))
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    label = name
    try:  # Debian's DejaVu has the Vietnamese glyphs; Pillow's built-in font does not
        big, small = ImageFont.truetype(DEJAVU, 96), ImageFont.truetype(DEJAVU, 40)
    except OSError:
        big, small = ImageFont.load_default(size=96), ImageFont.load_default(size=40)
        initials, label = catalog.fold_vietnamese(initials).upper(), catalog.fold_vietnamese(name).title()
    draw.text((400, 300), initials, fill=tuple(hue), font=big, anchor="mm")
    draw.text((400, 540), label, fill=(255, 255, 255), font=small, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"demo-{seed % 10**8}.jpg"))


def _pending_signup() -> None:
    commune = AdminUnit.objects.get(scheme="2025", level=AdminUnit.Level.COMMUNE, code="02923")
    Producer.objects.get_or_create(
        name="Hộ kinh doanh Măng rừng Gia Phú", commune=commune,
        defaults={"kind": Producer.Kind.HOUSEHOLD, "phone": "0912345678", "status": Producer.Status.PENDING,
                  "privacy_consent_at": timezone.now()},
    )


def _users() -> list[tuple[str, str, str]]:
    User = get_user_model()
    operator, _ = User.objects.get_or_create(username=DEMO_USERS["operator"][0], defaults={"is_staff": True, "is_superuser": True})
    editor, _ = User.objects.get_or_create(username=DEMO_USERS["editor"][0])
    producer_user, _ = User.objects.get_or_create(username=DEMO_USERS["producer"][0])
    editor2, _ = User.objects.get_or_create(username=DEMO_USERS["editor2"][0], defaults={"email": "bientap2.giaphu@example.vn"})
    officer, _ = User.objects.get_or_create(username=DEMO_USERS["officer"][0])
    if not editor.email:
        editor.email = "bientap.giaphu@example.vn"
        editor.save(update_fields=["email"])
    for user in (operator, editor, producer_user, editor2, officer):
        if not user.has_usable_password() or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
    commune = AdminUnit.objects.get(scheme="2025", level=AdminUnit.Level.COMMUNE, code="02923")
    commune_page = services.commune_page_get_or_create(commune=commune)
    services.editor_assign(user=editor, commune_page=commune_page)
    services.editor_assign(user=editor2, commune_page=commune_page)
    news_services.province_officer_assign(user=officer, province_page=commune_page.get_parent().specific)
    producer = Producer.objects.get(name="HTX Chuối Gia Phú", commune=commune)
    producer.users.add(producer_user)
    services.producer_page_setup(producer_page=producer.page)
    return [(username, DEMO_PASSWORD, role) for username, role in DEMO_USERS.values()]


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
