# ML-KEM keys have KeyUsage ENCAPSULATE_DECAPSULATE (botocore 1.44's KeyUsageType).
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("keys", "0002_imported_key_material")]

    operations = [
        migrations.RemoveConstraint(model_name="key", name="key_usage_known"),
        migrations.AddConstraint(
            model_name="key",
            constraint=models.CheckConstraint(
                condition=Q(key_usage__in=["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT",
                                           "ENCAPSULATE_DECAPSULATE"]),
                name="key_usage_known"),
        ),
    ]
