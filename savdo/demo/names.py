"""Pools of realistic names and goods, drawn once per run from Faker (uz_UZ and ru_RU, seeded, no
network) so that generating a million customers does not call Faker a million times."""

import random
from dataclasses import dataclass
from decimal import Decimal

from faker import Faker


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    middle_name: str


class NamePool:
    """Uzbek names (Latin script) for two thirds of customers, Russian (Cyrillic) for the rest."""

    def __init__(self, seed: int, size: int = 400):
        self.pools = []
        for locale in ("uz_UZ", "uz_UZ", "ru_RU"):
            fake = Faker(locale)
            fake.seed_instance(seed)
            males = sorted({(fake.first_name_male(), fake.last_name_male()) for _ in range(size)})
            females = sorted({(fake.first_name_female(), fake.last_name_female()) for _ in range(size)})
            russian = locale == "ru_RU"
            male_middles = sorted({fake.middle_name_male() for _ in range(60)}) if russian else [""]
            female_middles = sorted({fake.middle_name_female() for _ in range(60)}) if russian else [""]
            self.pools.append(((males, male_middles), (females, female_middles)))

    def person(self, rng: random.Random) -> Person:
        return Person(*self.person_parts(rng))

    def person_parts(self, rng: random.Random) -> tuple[str, str, str]:
        """(first, last, middle name): `person()` without the object, for a million customers."""
        male, female = self.pools[rng.randrange(len(self.pools))]
        pool, middles = male if rng.random() < 0.55 else female
        first, _ = pool[rng.randrange(len(pool))]
        _, last = pool[rng.randrange(len(pool))]
        return first, last, middles[rng.randrange(len(middles))] if rng.random() < 0.3 else ""


# Uzbek mobile operator codes: every +998 <code> <7 digits> number is valid for phonenumbers.
MOBILE_CODES = ("90", "91", "93", "94", "95", "97", "98", "99", "33", "88", "77")


def phone_for(index: int) -> str:
    """A distinct valid +998 mobile number for each index (unique within a tenant)."""
    code = MOBILE_CODES[index % len(MOBILE_CODES)]
    subscriber = (index // len(MOBILE_CODES) * 7919 + 1234567) % 10_000_000
    return f"+998{code}{subscriber:07d}"


def ean13(prefix: int, number: int) -> str:
    body = f"{prefix:03d}{number:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


# (category, goods, unit, price range in UZS, tax rate %, perishable)
GOODS = [
    (
        "Молочные продукты",
        ["Молоко 3.2% 1л", "Кефир 2.5%", "Сметана 20%", "Творог 9%", "Qatiq 1л", "Сыр Голландский"],
        "pcs",
        (9000, 65000),
        12,
        True,
    ),
    (
        "Хлеб и выпечка",
        ["Хлеб белый", "Non (лепёшка)", "Батон нарезной", "Самса с мясом", "Печенье овсяное"],
        "pcs",
        (3000, 25000),
        12,
        True,
    ),
    (
        "Фрукты и овощи",
        ["Яблоки", "Помидоры", "Огурцы", "Картофель", "Лук репчатый", "Morkov (морковь)", "Виноград"],
        "kg",
        (4000, 35000),
        0,
        True,
    ),
    ("Мясо и птица", ["Говядина", "Баранина", "Курица охлаждённая", "Фарш говяжий"], "kg", (45000, 120000), 12, True),
    (
        "Бакалея",
        ["Рис Лазер", "Мука 1 сорт", "Сахар", "Макароны", "Гречка", "Масло подсолнечное 1л", "Соль"],
        "pcs",
        (6000, 40000),
        12,
        False,
    ),
    (
        "Напитки",
        ["Вода Hydrolife 1.5л", "Coca-Cola 1л", "Сок Bliss 1л", "Чай зелёный №95", "Кофе растворимый"],
        "pcs",
        (4000, 60000),
        12,
        False,
    ),
    (
        "Бытовая химия",
        ["Стиральный порошок", "Средство для посуды", "Мыло", "Шампунь", "Зубная паста"],
        "pcs",
        (8000, 70000),
        12,
        False,
    ),
    (
        "Сладости",
        ["Шоколад", "Конфеты ассорти", "Халва", "Navvot", "Мороженое пломбир"],
        "pcs",
        (5000, 50000),
        12,
        True,
    ),
    (
        "Электроника",
        ["Наушники", "Зарядное устройство", "Кабель USB-C", "Power bank", "Лампочка LED"],
        "pcs",
        (15000, 450000),
        12,
        False,
    ),
]
VARIANTS = ["", " эконом", " премиум", " 500г", " 1кг", " большой", " малый", " Fresh", " Oila", " Baraka"]


def product_catalog(count: int, rng: random.Random) -> list[dict]:
    """`count` distinct products spread over the categories, with prices that end in hundreds."""
    products = []
    number = 0
    while len(products) < count:
        for category, goods, unit, (low, high), tax, perishable in GOODS:
            for good in goods:
                variant = VARIANTS[(number // 40) % len(VARIANTS)]
                suffix = f" #{number // 400 + 1}" if number >= 400 else ""
                price = Decimal(rng.randrange(low // 100, high // 100) * 100)
                products.append(
                    {
                        "category": category,
                        "name": f"{good}{variant}{suffix}",
                        "unit": unit,
                        "sale_price": price,
                        "cost_price": (price * Decimal("0.72")).quantize(Decimal("1")),
                        "wholesale_price": (price * Decimal("0.9")).quantize(Decimal("1")),
                        "tax_rate": Decimal(tax),
                        "perishable": perishable,
                    }
                )
                number += 1
                if len(products) == count:
                    return products
    return products
