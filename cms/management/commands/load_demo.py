from django.core.management.base import BaseCommand

from cms.demo import load_demo
from marketplace.livestreams.demo import load_demo_livestreams


class Command(BaseCommand):
    help = "Nạp dữ liệu mẫu (chạy lại nhiều lần vẫn an toàn)."

    def handle(self, *args, **options):
        result = load_demo(stdout=self.stdout)
        sessions = load_demo_livestreams(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Dữ liệu mẫu: {result['producers']} nhà sản xuất; {result['products']} sản phẩm mới được tạo; {sessions} phiên livestream mới."))
        self.stdout.write("Tài khoản mẫu (đăng nhập tại /admin/):")
        for username, password, role in result["users"]:
            self.stdout.write(f"  {username} / {password}  — {role}")
