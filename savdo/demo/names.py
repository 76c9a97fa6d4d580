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


# Faker's ru_RU first names include many that nobody is called today (Аверкий, Евпраксия): Russian
# customers get these common ones, with the matching patronymics.
RU_MALE = (
    "Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Максим", "Евгений", "Иван", "Михаил", "Артём",
    "Николай", "Владимир", "Игорь", "Павел", "Роман", "Олег", "Виктор", "Денис", "Константин", "Юрий",
    "Антон", "Илья", "Кирилл", "Никита", "Вадим", "Руслан", "Тимур", "Анатолий", "Борис", "Вячеслав",
)  # fmt: skip
RU_FEMALE = (
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Марина", "Екатерина", "Юлия",
    "Мария", "Людмила", "Галина", "Анастасия", "Дарья", "Алина", "Виктория", "Ксения", "Оксана", "Валентина",
    "Надежда", "Лариса", "Нина", "Вера", "Полина", "Алёна", "Кристина", "Евгения", "Диана", "Лилия",
)  # fmt: skip
RU_FATHERS = (
    "Александров", "Дмитриев", "Сергеев", "Андреев", "Алексеев", "Евгеньев", "Иванов", "Михайлов",
    "Николаев", "Владимиров", "Игорев", "Павлов", "Романов", "Олегов", "Викторов", "Юрьев", "Анатольев",
    "Борисов", "Геннадьев", "Валерьев",
)  # fmt: skip
# Faker's uz_UZ names are those of today's newborns: leave out the rarest and the foreign ones.
UZ_UNUSUAL = frozenset({"Elif", "Gabriel", "Malak", "Saddam", "Miran", "Muzdalifa", "Musfira", "Mursalina"})


def _usual_uzbek(name: str) -> bool:
    return name not in UZ_UNUSUAL and len(name) <= 10 and "’" not in name


class NamePool:
    """Uzbek names (Latin script) for two thirds of customers, Russian (Cyrillic) for the rest."""

    def __init__(self, seed: int, size: int = 400):
        self.pools = []
        for locale in ("uz_UZ", "uz_UZ", "ru_RU"):
            fake = Faker(locale)
            fake.seed_instance(seed)
            if locale == "ru_RU":
                males = sorted({(fake.random_element(RU_MALE), fake.last_name_male()) for _ in range(size)})
                females = sorted({(fake.random_element(RU_FEMALE), fake.last_name_female()) for _ in range(size)})
                male_middles = sorted(f"{father}ич" for father in RU_FATHERS)
                female_middles = sorted(f"{father}на" for father in RU_FATHERS)
            else:
                males = sorted({(fake.first_name_male(), fake.last_name_male()) for _ in range(size)})
                males = [(first, last) for first, last in males if _usual_uzbek(first) and _usual_uzbek(last)]
                # A woman's surname is her father's family name, as a man's is ("Karimov" -> "Karimova"),
                # not one made of a woman's name as Faker's are.
                females = sorted({(fake.first_name_female(), f"{fake.last_name_male()}a") for _ in range(size)})
                females = [(first, last) for first, last in females if _usual_uzbek(first) and _usual_uzbek(last[:-1])]
                male_middles = female_middles = [""]
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


# Uzbek mobile operator codes, weighted roughly by each operator's share of subscribers (Beeline 90,
# 91; Ucell 93, 94, 50; Mobiuz 97, 88; Uzmobile 99, 95, 77; Humans 33; Perfectum 98; OQ 20): every
# +998 <code> <7 digits> number is a valid mobile number for phonenumbers.
MOBILE_CODES = ("90", "91", "93", "94", "50", "97", "88", "99", "95", "77", "33", "98", "20")
CODE_WEIGHTS = (14, 10, 11, 8, 4, 14, 9, 9, 4, 4, 8, 2, 3)
_CODE_TABLE = tuple(n for n, weight in enumerate(CODE_WEIGHTS) for _ in range(weight))
# Subscriber numbers 1000000..9999999 in a scrambled order: two rounds of a step coprime with their
# count (so every number comes once before one repeats) each followed by reading the last six
# digits backwards (a permutation too), so that neighbours share no visible pattern.
_SUBSCRIBERS = 9_000_000
_ROUNDS = ((7_391_573, 2_718_281), (4_194_301, 1_414_213))


def _scramble(position: int) -> int:
    """A permutation of 0.._SUBSCRIBERS - 1."""
    for step, offset in _ROUNDS:
        lead, rest = divmod((position * step + offset) % _SUBSCRIBERS, 1_000_000)
        position = lead * 1_000_000 + int(f"{rest:06d}"[::-1])
    return position


def phone_for(index: int) -> str:
    """A valid +998 mobile number for each index, distinct from every other index's (for the first
    `_SUBSCRIBERS * len(MOBILE_CODES)` indexes), with the operator codes mixed as in real life.

    The subscriber part alone is distinct for the first nine million indexes; past them the
    operator code moves on by one per nine million, so numbers stay distinct."""
    cycle, position = divmod(index, _SUBSCRIBERS)
    pick = _CODE_TABLE[((position * 2_654_435_761) >> 13) % len(_CODE_TABLE)]
    return f"+998{MOBILE_CODES[(pick + cycle) % len(MOBILE_CODES)]}{_scramble(position) + 1_000_000}"


_LATIN = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
        "ё": "yo", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ь": "", "ю": "yu",
        "я": "ya", "’": "", "'": "", "ʻ": "",
    }
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved for examples: nobody gets mail


def email_for(first_name: str, last_name: str, index: int) -> str:
    """A person's e-mail as people make them (name, surname, a number), distinct per index."""
    local = f"{first_name}.{last_name}".lower().translate(_LATIN)
    return f"{local}{index}@{EMAIL_DOMAINS[index % len(EMAIL_DOMAINS)]}"


def company_for(last_name: str) -> str:
    """A family business's name, in the script of the family name."""
    if last_name[:1].isascii():
        return f"{last_name} va hamkorlar MChJ"
    return f"ООО «{last_name} и партнёры»"


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
