from django.db import migrations

HEERLEN = [
    "Aarveld", "Bekkerveld", "Beersdal", "Caumerveld", "Douve Weien", "Eikenderveld",
    "Grasbroek", "Heerlen-Centrum", "Heerlerbaan", "Heerlerheide", "Hoensbroek", "Mariarade",
    "Meezenbroek", "Molenberg", "Nieuw-Lotbroek", "Passart", "Rennemig", "Schandelen",
    "Vrieheide", "Welten", "Zeswegen",
]  # fmt: skip


def seed(apps, schema_editor):
    Neighbourhood = apps.get_model("accounts", "Neighbourhood")
    for name in HEERLEN:
        Neighbourhood.objects.get_or_create(municipality="Heerlen", name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles_neighbourhoods_residents")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
