import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_checkout_channel'),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='packed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='đóng gói lúc'),
        ),
        migrations.CreateModel(
            name='NotificationLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255, unique=True)),
                ('template', models.CharField(max_length=60)),
                ('recipient', models.CharField(max_length=254)),
                ('sent_at', models.DateTimeField(auto_now_add=True)),
                ('checkout', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='orders.checkout')),
            ],
            options={
                'ordering': ['checkout_id', 'sent_at', 'pk'],
            },
        ),
    ]
