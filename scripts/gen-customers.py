#!/usr/bin/env python3
"""A realistic French customer file in WooCommerce's 26-column customer export, seeded.

    scripts/gen-customers.py ROWS OUT.csv [--seed N]

- Given names and surnames weighted as they are in France (the most frequent first names
  of people born 1950-2005 and the most frequent surnames, INSEE's lists, rounded);
- real postal codes with their commune, weighted by population (the larger cities and a
  long tail of smaller towns, overseas departments included);
- e-mail addresses as people make them: prenom.nom, initial plus surname (p.martin,
  pmartin), nom.prenom, with a year or a number, at the providers French shoppers use
  (gmail.com, orange.fr, free.fr, hotmail.fr, laposte.net, sfr.fr, yahoo.fr, wanadoo.fr,
  outlook.fr, icloud.com...), with 2% of rows repeating an earlier row's address (the
  same person registered twice, or a shared family mailbox), and a few typing mistakes
  (gmial.com, a doubled or swapped letter) in 0.3% of rows;
- French mobile and landline numbers in the formats shops receive them (06 12 34 56 78,
  +33612345678, 0612345678); overseas, the territory's country code (GP, MQ, GF, RE, YT,
  PM, NC, PF, as WooCommerce lists them) and its own mobile prefixes;
- a company for 3% of rows; a shipping address that differs for 10%.

Deterministic for a seed (Python's random.Random with the given seed).
"""
import argparse
import csv
import random
import sys

FIRST = [
    ("Marie", 320), ("Jean", 300), ("Pierre", 130), ("Michel", 120), ("Philippe", 110), ("Nathalie", 105),
    ("Isabelle", 100), ("Sylvie", 90), ("Catherine", 90), ("Françoise", 80), ("Christophe", 85), ("Stéphane", 80),
    ("David", 85), ("Nicolas", 95), ("Julien", 80), ("Sébastien", 80), ("Thomas", 90), ("Camille", 70),
    ("Laurent", 75), ("Frédéric", 70), ("Anne", 75), ("Christine", 75), ("Valérie", 70), ("Sandrine", 70),
    ("Céline", 65), ("Julie", 70), ("Aurélie", 55), ("Émilie", 55), ("Léa", 60), ("Manon", 55), ("Chloé", 50),
    ("Sarah", 50), ("Laura", 50), ("Pauline", 45), ("Mathilde", 40), ("Inès", 40), ("Emma", 45), ("Lucas", 55),
    ("Hugo", 50), ("Louis", 55), ("Maxime", 55), ("Alexandre", 60), ("Antoine", 60), ("Kévin", 45), ("Romain", 50),
    ("Guillaume", 55), ("Vincent", 55), ("Olivier", 60), ("Patrick", 70), ("Alain", 70), ("Bernard", 55),
    ("Daniel", 50), ("Éric", 60), ("François", 60), ("Gérard", 45), ("Dominique", 45), ("Martine", 55),
    ("Monique", 45), ("Nicole", 45), ("Brigitte", 40), ("Hélène", 45), ("Claire", 45), ("Caroline", 45),
    ("Virginie", 40), ("Mélanie", 40), ("Élodie", 40), ("Jérôme", 50), ("Arnaud", 40), ("Mathieu", 45),
    ("Benoît", 35), ("Yannick", 25), ("Gaëlle", 20), ("Maëlle", 15), ("Noémie", 20), ("Océane", 25),
    ("Mohamed", 45), ("Karim", 20), ("Sofiane", 15), ("Yasmine", 15), ("Fatima", 15), ("Nadia", 15),
    ("Jean-Pierre", 40), ("Jean-Claude", 35), ("Marie-Claire", 15), ("Anne-Sophie", 20), ("Jean-Baptiste", 20),
]
LAST = [
    ("Martin", 235), ("Bernard", 105), ("Thomas", 100), ("Petit", 95), ("Robert", 90), ("Richard", 90),
    ("Durand", 85), ("Dubois", 85), ("Moreau", 80), ("Laurent", 80), ("Simon", 75), ("Michel", 75),
    ("Lefebvre", 70), ("Leroy", 70), ("Roux", 65), ("David", 65), ("Bertrand", 60), ("Morel", 60),
    ("Fournier", 60), ("Girard", 60), ("Bonnet", 55), ("Dupont", 55), ("Lambert", 55), ("Fontaine", 55),
    ("Rousseau", 55), ("Vincent", 55), ("Muller", 55), ("Lefèvre", 50), ("Faure", 50), ("André", 50),
    ("Mercier", 50), ("Blanc", 50), ("Guérin", 45), ("Boyer", 45), ("Garnier", 45), ("Chevalier", 45),
    ("François", 45), ("Legrand", 45), ("Gauthier", 45), ("Garcia", 45), ("Perrin", 45), ("Robin", 40),
    ("Clément", 40), ("Morin", 40), ("Nicolas", 40), ("Henry", 40), ("Roussel", 40), ("Mathieu", 40),
    ("Gautier", 40), ("Masson", 40), ("Marchand", 35), ("Duval", 35), ("Denis", 35), ("Dumont", 35),
    ("Marie", 35), ("Lemaire", 35), ("Noël", 35), ("Meyer", 35), ("Dufour", 35), ("Meunier", 35),
    ("Brun", 35), ("Blanchard", 35), ("Giraud", 35), ("Joly", 35), ("Rivière", 30), ("Lucas", 30),
    ("Brunet", 30), ("Gaillard", 30), ("Barbier", 30), ("Arnaud", 30), ("Martinez", 30), ("Gérard", 30),
    ("Roche", 30), ("Renard", 30), ("Schmitt", 30), ("Roy", 30), ("Leroux", 30), ("Colin", 30),
    ("Vidal", 30), ("Caron", 30), ("Picard", 30), ("Roger", 30), ("Fabre", 30), ("Aubert", 30),
    ("Lemoine", 25), ("Renaud", 25), ("Dumas", 25), ("Lacroix", 25), ("Olivier", 25), ("Philippe", 25),
    ("Bourgeois", 25), ("Pierre", 25), ("Benoît", 25), ("Rey", 25), ("Leclerc", 25), ("Payet", 25),
    ("Rolland", 25), ("Leclercq", 25), ("Guillaume", 25), ("Lecomte", 25), ("Lopez", 25), ("Jean", 25),
    ("Dupuy", 25), ("Guillot", 25), ("Hubert", 25), ("Berger", 25), ("Carpentier", 25), ("Sanchez", 25),
    ("Marin", 20), ("Le Gall", 20), ("Le Goff", 20), ("Da Silva", 20), ("Nguyen", 20), ("Benali", 10),
    ("N'Diaye", 10), ("Hoarau", 10), ("Grondin", 10), ("Fontaine-Leroy", 3),
]
# (postal code, commune, weight ~ population in thousands)
PLACES = [
    ("75011", "Paris", 145), ("75015", "Paris", 230), ("75018", "Paris", 190), ("75020", "Paris", 190),
    ("75017", "Paris", 165), ("75012", "Paris", 140), ("75013", "Paris", 180), ("75016", "Paris", 165),
    ("75019", "Paris", 185), ("75014", "Paris", 135), ("75010", "Paris", 85), ("75009", "Paris", 60),
    ("75005", "Paris", 58), ("75006", "Paris", 40), ("75007", "Paris", 50), ("75008", "Paris", 36),
    ("75001", "Paris", 16), ("75002", "Paris", 21), ("75003", "Paris", 34), ("75004", "Paris", 28),
    ("13001", "Marseille", 40), ("13008", "Marseille", 80), ("13013", "Marseille", 90), ("13015", "Marseille", 80),
    ("13005", "Marseille", 45), ("13009", "Marseille", 75), ("69001", "Lyon", 30), ("69003", "Lyon", 100),
    ("69007", "Lyon", 85), ("69008", "Lyon", 85), ("69006", "Lyon", 50), ("31000", "Toulouse", 120),
    ("31500", "Toulouse", 110), ("31300", "Toulouse", 100), ("06000", "Nice", 180), ("06300", "Nice", 100),
    ("44000", "Nantes", 160), ("44300", "Nantes", 100), ("34000", "Montpellier", 150), ("34070", "Montpellier", 100),
    ("67000", "Strasbourg", 180), ("67100", "Strasbourg", 100), ("33000", "Bordeaux", 170), ("33800", "Bordeaux", 80),
    ("59000", "Lille", 130), ("59800", "Lille", 60), ("35000", "Rennes", 140), ("35700", "Rennes", 80),
    ("51100", "Reims", 180), ("83000", "Toulon", 180), ("42000", "Saint-Étienne", 170), ("76600", "Le Havre", 165),
    ("38000", "Grenoble", 155), ("21000", "Dijon", 160), ("49000", "Angers", 155), ("30000", "Nîmes", 150),
    ("69100", "Villeurbanne", 150), ("63000", "Clermont-Ferrand", 145), ("72000", "Le Mans", 145),
    ("13100", "Aix-en-Provence", 145), ("29200", "Brest", 140), ("37000", "Tours", 135), ("80000", "Amiens", 135),
    ("87000", "Limoges", 130), ("74000", "Annecy", 130), ("66000", "Perpignan", 120), ("92100", "Boulogne-Billancourt", 120),
    ("57000", "Metz", 120), ("25000", "Besançon", 120), ("45000", "Orléans", 115), ("93200", "Saint-Denis", 113),
    ("95100", "Argenteuil", 110), ("76000", "Rouen", 110), ("93100", "Montreuil", 110), ("68100", "Mulhouse", 108),
    ("14000", "Caen", 106), ("54000", "Nancy", 105), ("97400", "Saint-Denis", 150), ("97410", "Saint-Pierre", 85),
    ("97110", "Pointe-à-Pitre", 15), ("97139", "Les Abymes", 53), ("97200", "Fort-de-France", 77),
    ("97300", "Cayenne", 63), ("92000", "Nanterre", 96), ("94000", "Créteil", 92), ("92500", "Rueil-Malmaison", 78),
    ("86000", "Poitiers", 89), ("17000", "La Rochelle", 77), ("64000", "Pau", 77), ("56100", "Lorient", 57),
    ("56000", "Vannes", 54), ("22000", "Saint-Brieuc", 44), ("29000", "Quimper", 63), ("50100", "Cherbourg-en-Cotentin", 78),
    ("62100", "Calais", 67), ("59140", "Dunkerque", 87), ("59100", "Roubaix", 98), ("59200", "Tourcoing", 98),
    ("60000", "Beauvais", 56), ("02100", "Saint-Quentin", 53), ("10000", "Troyes", 61), ("08000", "Charleville-Mézières", 46),
    ("71100", "Chalon-sur-Saône", 45), ("01000", "Bourg-en-Bresse", 42), ("73000", "Chambéry", 60), ("26000", "Valence", 64),
    ("84000", "Avignon", 91), ("83400", "Hyères", 56), ("06400", "Cannes", 74), ("06600", "Antibes", 73),
    ("20000", "Ajaccio", 72), ("20200", "Bastia", 48), ("11100", "Narbonne", 55), ("81000", "Albi", 49),
    ("82000", "Montauban", 61), ("65000", "Tarbes", 42), ("40000", "Mont-de-Marsan", 30), ("24000", "Périgueux", 29),
    ("19100", "Brive-la-Gaillarde", 46), ("03100", "Montluçon", 34), ("18000", "Bourges", 64), ("41000", "Blois", 46),
    ("28000", "Chartres", 38), ("53000", "Laval", 49), ("85000", "La Roche-sur-Yon", 57), ("79000", "Niort", 59),
    ("16000", "Angoulême", 42), ("47000", "Agen", 33), ("12000", "Rodez", 25), ("48000", "Mende", 12),
    ("04000", "Digne-les-Bains", 16), ("05000", "Gap", 40), ("39000", "Lons-le-Saunier", 17), ("70000", "Vesoul", 15),
    ("88000", "Épinal", 31), ("55100", "Verdun", 17), ("52000", "Chaumont", 22), ("89000", "Auxerre", 34),
    ("58000", "Nevers", 32), ("36000", "Châteauroux", 43), ("23000", "Guéret", 13), ("15000", "Aurillac", 25),
    ("43000", "Le Puy-en-Velay", 19), ("07000", "Privas", 8), ("09000", "Foix", 9), ("32000", "Auch", 22),
    ("46000", "Cahors", 19), ("61000", "Alençon", 25), ("27000", "Évreux", 47), ("78000", "Versailles", 84),
    ("91000", "Évry-Courcouronnes", 66), ("77000", "Melun", 41), ("95000", "Cergy", 66), ("44600", "Saint-Nazaire", 71),
    ("35400", "Saint-Malo", 47), ("64100", "Bayonne", 52), ("64200", "Biarritz", 25), ("33500", "Libourne", 25),
    ("17100", "Saintes", 25), ("74100", "Annemasse", 36), ("38200", "Vienne", 30), ("69400", "Villefranche-sur-Saône", 37),
    ("42300", "Roanne", 34), ("71000", "Mâcon", 34), ("21200", "Beaune", 20), ("67500", "Haguenau", 35),
    ("68000", "Colmar", 68), ("57100", "Thionville", 41), ("54400", "Longwy", 15), ("97500", "Saint-Pierre", 6),
    ("98800", "Nouméa", 94), ("98714", "Papeete", 26),
]
STREETS = [
    "rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue du Général de Gaulle", "rue Pasteur",
    "place de la Mairie", "rue de l'Église", "avenue de la Gare", "rue des Écoles", "boulevard Gambetta",
    "rue Jules Ferry", "chemin des Vignes", "rue du Moulin", "allée des Tilleuls", "impasse des Lilas",
    "rue Émile Zola", "avenue Foch", "rue Nationale", "rue de Verdun", "route de Paris", "rue Saint-Martin",
    "quai des Chartrons", "cours Mirabeau", "rue Sainte-Catherine", "rue de la Paix",
]
DOMAINS = [
    ("gmail.com", 380), ("orange.fr", 120), ("hotmail.fr", 90), ("yahoo.fr", 60), ("free.fr", 60),
    ("laposte.net", 45), ("sfr.fr", 35), ("wanadoo.fr", 35), ("outlook.fr", 30), ("icloud.com", 30),
    ("hotmail.com", 25), ("live.fr", 20), ("neuf.fr", 10), ("bbox.fr", 10), ("aol.com", 5), ("gmx.fr", 5),
    ("protonmail.com", 5), ("yahoo.com", 10), ("outlook.com", 10), ("me.com", 5),
]
TYPO_DOMAINS = {"gmail.com": "gmial.com", "hotmail.fr": "hotmial.fr", "orange.fr": "ornage.fr", "yahoo.fr": "yaho.fr"}
COLUMNS = [
    "customer_id", "first_name", "last_name", "user_login", "email", "date_registered",
    "billing_first_name", "billing_last_name", "billing_company", "billing_email", "billing_phone",
    "billing_address_1", "billing_address_2", "billing_postcode", "billing_city", "billing_state", "billing_country",
    "shipping_first_name", "shipping_last_name", "shipping_company", "shipping_address_1", "shipping_address_2",
    "shipping_postcode", "shipping_city", "shipping_state", "shipping_country",
]


# Overseas territories by postal-code prefix: WooCommerce's country code, mobile prefixes.
OVERSEAS = {
    "971": ("GP", ["690", "691"]), "972": ("MQ", ["696", "697"]), "973": ("GF", ["694"]),
    "974": ("RE", ["692", "693"]), "976": ("YT", ["639"]), "975": ("PM", []), "988": ("NC", []), "987": ("PF", []),
}
# The national prefixes (after the trunk 0) of the overseas departments' fixed and mobile
# numbers (ARCEP), which no metropolitan number uses.
OVERSEAS_PREFIXES = {"590", "594", "596", "262", "263", "269", "690", "691", "692", "693", "694", "696", "697", "639"}


def ascii_fold(s):
    table = str.maketrans("àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ", "aaaceeeeiioouuuyAAACEEEEIIOOUUUY")
    return s.translate(table).replace("'", "").replace(" ", "").lower()


def picker(rng, items):
    values = [v for v, _ in items]
    weights = [w for _, w in items]
    cum = []
    t = 0
    for w in weights:
        t += w
        cum.append(t)
    import bisect

    def pick():
        return values[bisect.bisect_right(cum, rng.random() * t)]

    return pick


def typo(rng, local):
    if len(local) < 5:
        return local + local[-1]
    i = rng.randrange(1, len(local) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        return local[:i] + local[i + 1] + local[i] + local[i + 2:]
    if kind == 1:  # a letter dropped
        return local[:i] + local[i + 1:]
    return local[:i] + local[i] + local[i:]  # a letter doubled


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    first = picker(rng, FIRST)
    last = picker(rng, LAST)
    domain = picker(rng, DOMAINS)
    place_items = [((pc, city), w) for pc, city, w in PLACES]
    place = picker(rng, place_items)
    emails = []
    used = set()
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for i in range(a.rows):
            fn, ln = first(), last()
            f0, l0 = ascii_fold(fn), ascii_fold(ln)
            if emails and rng.random() < 0.02:
                email = emails[rng.randrange(len(emails))]
            else:
                style = rng.random()
                if style < 0.35:
                    local = f"{f0}.{l0}"
                elif style < 0.50:
                    local = f"{f0[0]}.{l0}"
                elif style < 0.60:
                    local = f"{f0[0]}{l0}"
                elif style < 0.70:
                    local = f"{l0}.{f0}"
                elif style < 0.82:
                    local = f"{f0}.{l0}{rng.randrange(50, 100) if rng.random() < 0.6 else rng.randrange(1, 1000)}"
                elif style < 0.90:
                    local = f"{f0}{l0}"
                else:
                    local = f"{f0}{rng.randrange(1, 10000)}"
                d = domain()
                email = f"{local}@{d}"
                n = 1
                while email in used:
                    n += 1
                    email = f"{local}{n}@{d}"
                if rng.random() < 0.003:
                    if d in TYPO_DOMAINS and rng.random() < 0.5:
                        email = f"{local}@{TYPO_DOMAINS[d]}"
                    else:
                        email = f"{typo(rng, local)}@{d}"
                used.add(email)
                emails.append(email)
            pc, city = place()
            number = rng.randrange(1, 200)
            street = f"{number} {STREETS[rng.randrange(len(STREETS))]}"
            line2 = rng.choice(["", "", "", "", "Bâtiment B", "Appartement 12", "Résidence les Pins", "3e étage"])
            p = rng.random()
            country, mobiles = OVERSEAS.get(pc[:3], ("FR", None))
            if mobiles is None:
                # A metropolitan number: never in the prefixes ARCEP gives the overseas
                # departments (0690…, 0262…: their numbers take +590, +262…, not +33).
                while True:
                    digits = f"{rng.choice('67')}{rng.randrange(10**8):08d}" if p < 0.8 else f"{rng.choice('12345')}{rng.randrange(10**8):08d}"
                    if digits[:3] not in OVERSEAS_PREFIXES:
                        break
            elif mobiles:
                digits = f"{rng.choice(mobiles)}{rng.randrange(10**6):06d}"
            else:
                digits = ""
            fmt = rng.random()
            if not digits or country != "FR" and fmt >= 0.7:
                phone = ""
            elif fmt < 0.4:
                phone = "0" + " ".join([digits[0]] + [digits[k:k + 2] for k in range(1, 9, 2)])
            elif fmt < 0.7:
                phone = "0" + digits
            elif fmt < 0.9:
                phone = "+33" + digits
            else:
                phone = ""
            company = f"{ln} SARL" if rng.random() < 0.03 else ""
            registered = f"{rng.randrange(2015, 2027)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            if rng.random() < 0.10:
                spc, scity = place()
                ship = [fn, ln, company, f"{rng.randrange(1, 200)} {STREETS[rng.randrange(len(STREETS))]}", "", spc, scity, "",
                        OVERSEAS.get(spc[:3], ("FR",))[0]]
            else:
                ship = [fn, ln, company, street, line2, pc, city, "", country]
            w.writerow(
                [100000 + i, fn, ln, email.split("@")[0], email, registered, fn, ln, company, email, phone, street, line2, pc, city, "", country]
                + ship
            )


if __name__ == "__main__":
    sys.exit(main())
