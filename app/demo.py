"""Demo data for the Région Sud (Provence-Alpes-Côte d'Azur).

`load_demo(password)` fills an empty database (communes already loaded) with
invented providers, offers, organisations and needs, placed on real communes of
the six départements (04, 05, 06, 13, 83, 84). Everything goes through the
services, so the publication and need state machines apply; the function
flushes but never commits (the CLI does).

The data is deterministic (`random.Random(2026)`): the same database comes out
of every run. Names of people and structures are invented; phone numbers are in
the ranges ARCEP reserves for fiction (04 65 71 xx xx, 06 39 98 xx xx) and
e-mail addresses are under demo.hubdusud.fr.

Demo accounts (all with the given password, e-mail confirmed):
  admin@demo.hubdusud.fr        hub staff and admin
  equipe@demo.hubdusud.fr       hub staff (moderates the demo content)
  structure@demo.hubdusud.fr    owner of "Association Les Jardins de la Treille" (Marseille)
  prestataire@demo.hubdusud.fr  owner of "Pôle Numérique Solidaire du Pays d'Aix" (Aix-en-Provence)
  contact+orgN@ / contact+prestaN@demo.hubdusud.fr  owners of the other structures and providers
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

from sqlalchemy import func, select
from stdnum import luhn

from app.accounts.models import User
from app.core.text import fold
from app.extensions import db

DEMO_PASSWORD = "demo-hub-du-sud"
DEMO_DOMAIN = "demo.hubdusud.fr"
SEED = 2026
REGION_SUD = "93"

ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
STAFF_EMAIL = f"equipe@{DEMO_DOMAIN}"
ORGANISATION_EMAIL = f"structure@{DEMO_DOMAIN}"
PROVIDER_EMAIL = f"prestataire@{DEMO_DOMAIN}"
DEMO_ACCOUNTS = (ADMIN_EMAIL, STAFF_EMAIL, ORGANISATION_EMAIL, PROVIDER_EMAIL)

WINDOW_FIRST = date(2026, 12, 1)
WINDOW_LAST = date(2027, 6, 30)


def database_is_empty() -> bool:
    return (db.session.scalar(select(func.count()).select_from(User)) or 0) == 0


# ------------------------------------------------------------------ providers and their offers


def _offer(
    title, category, skills, modality, hours, capacity, price_mode, euros, description, status="published", reason=None
) -> dict:
    return {
        "title": title,
        "category": category,
        "skills": list(skills),
        "modality": modality,
        "duration_hours": float(hours),
        "capacity_per_month": capacity,
        "price_mode": price_mode,
        "price_cents": int(euros * 100) if euros else None,
        "description": description,
        "status": status,
        "reason": reason,
    }


def _provider(
    name, kind, insee, radius, remote, languages, siret, person, presentation, offers, website=False, status="published"
) -> dict:
    return {
        "name": name,
        "kind": kind,
        "commune_insee": insee,
        "radius_km": radius,
        "remote_capable": remote,
        "languages": list(languages),
        "siret": siret,
        "person": person,
        "presentation": presentation,
        "offers": offers,
        "website": website,
        "status": status,
    }


PROVIDERS = [
    # 0: the demo provider (prestataire@demo.hubdusud.fr)
    _provider(
        "Pôle Numérique Solidaire du Pays d'Aix",
        "equipe_mediation",
        "13001",
        40,
        True,
        ["fr", "en", "es"],
        True,
        "Julie Martinez",
        "Équipe de quatre médiatrices et médiateurs numériques installée à Aix-en-Provence, nous accompagnons "
        "depuis 2019 les associations, les commerces et les petites communes du Pays d'Aix. Nous intervenons dans "
        "vos locaux, dans notre espace du Jas-de-Bouffan ou en visio. Notre méthode : partir de vos usages réels "
        "et vous laisser autonomes à la fin.",
        [
            _offer(
                "Atelier réseaux sociaux : lancer la page Facebook et Instagram de votre structure",
                "atelier",
                ["presence.reseaux_sociaux", "presence.newsletter"],
                "on_site",
                3,
                4,
                "voucher",
                250,
                "Atelier de 3 h pour créer ou remettre en ordre la page Facebook et le compte Instagram de votre "
                "structure. Nous repartons de vos photos et de vos actualités pour préparer ensemble un mois de "
                "publications. Vous repartez avec un calendrier éditorial simple et les bons réflexes pour "
                "répondre aux messages.",
            ),
            _offer(
                "Accompagnement aux démarches en ligne des associations",
                "conseil",
                ["gestion.services_publics", "mediation.demarches"],
                "both",
                2,
                6,
                "volunteer",
                None,
                "Nous vous aidons à créer votre Compte Asso, à déclarer un changement de bureau en ligne et à "
                "déposer une demande de subvention. Séance de 2 h, sur place ou en visio avec partage d'écran. "
                "Nous laissons une fiche pas à pas adaptée à votre association.",
            ),
            _offer(
                "Former les bénévoles d'accueil à la médiation numérique",
                "formation",
                ["mediation.comprehension", "mediation.demarches", "competences.formation_equipes"],
                "on_site",
                6,
                2,
                "voucher",
                450,
                "Une journée pour vos bénévoles qui accueillent du public : repérer les difficultés avec le "
                "numérique, accompagner sans faire à la place, orienter vers les bons services. Alternance de "
                "mises en situation et d'apports concrets, pour un groupe de 4 à 10 personnes.",
            ),
            _offer(
                "Diagnostic numérique de votre structure",
                "audit",
                ["securite.sauvegarde", "securite.cybersecurite", "gestion.collaboratif"],
                "both",
                3,
                3,
                "paid",
                180,
                "Un entretien de 1 h 30 puis un passage en revue de vos outils : messagerie, partage de fichiers, "
                "sauvegardes, mots de passe. Vous recevez sous dix jours un rapport de quatre pages avec trois "
                "priorités classées par coût et par difficulté.",
            ),
            _offer(
                "Conférence « Arnaques en ligne : les reconnaître et s'en protéger »",
                "conference",
                ["mediation.usage_securise", "securite.cybersecurite"],
                "on_site",
                1.5,
                2,
                "volunteer",
                None,
                "Conférence interactive de 1 h 30 pour les adhérents d'une association, un club d'aînés ou le "
                "public d'une mairie. Faux SMS de livraison, faux conseillers bancaires, arnaques au compte "
                "formation : des exemples réels et des réflexes simples. Nous laissons des affiches et un mémo "
                "à distribuer.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Collectif Clic Azur",
        "equipe_mediation",
        "06088",
        30,
        False,
        ["fr", "it", "en"],
        True,
        "Marco Bellini",
        "Association niçoise de médiation numérique, le Collectif Clic Azur réunit cinq conseillères et conseillers "
        "numériques qui tiennent des permanences dans les quartiers de Nice et de la métropole. Nous travaillons "
        "beaucoup avec les commerçants et les associations de quartier, en français, en italien et en anglais.",
        [
            _offer(
                "Permanence numérique pour les commerçants du quartier",
                "conseil",
                ["presence.referencement", "gestion.paiement"],
                "on_site",
                2,
                8,
                "volunteer",
                None,
                "Chaque mardi matin, nous recevons les commerçants pour régler un problème précis : fiche "
                "d'établissement, terminal de paiement, site de réservation, facture électronique. Rendez-vous "
                "de 30 minutes ou passage libre. Gratuit, financé par le dispositif Conseillers numériques.",
            ),
            _offer(
                "Atelier « Votre commerce sur les cartes en ligne »",
                "atelier",
                ["presence.referencement"],
                "on_site",
                2.5,
                4,
                "volunteer",
                None,
                "En 2 h 30, nous créons ou reprenons la fiche de votre commerce sur les principaux services de "
                "cartes, dont OpenStreetMap : horaires, photos, moyens de paiement. Nous vous montrons comment "
                "répondre aux avis sans vous énerver. Apportez votre téléphone et vos identifiants.",
            ),
            _offer(
                "Formation : créer les visuels de votre association",
                "formation",
                ["competences.creation_media", "presence.newsletter"],
                "both",
                4,
                3,
                "voucher",
                300,
                "Deux demi-journées pour concevoir affiches, flyers et visuels de réseaux sociaux cohérents avec "
                "votre identité. Nous préparons avec vous des modèles réutilisables par tous les bénévoles. "
                "Groupe de 3 à 8 personnes, ordinateurs portables bienvenus.",
            ),
        ],
        website=True,
    ),
    _provider(
        "La Passerelle Numérique Toulonnaise",
        "equipe_mediation",
        "83137",
        25,
        False,
        ["fr", "ar"],
        True,
        "Samia Rahmani",
        "Installée au cœur de la Basse-Ville de Toulon, la Passerelle est une équipe de trois médiateurs salariés "
        "d'une association d'éducation populaire. Nous accompagnons les structures de l'aire toulonnaise : centres "
        "sociaux, associations de locataires, petits commerces. Nous prêtons aussi des ordinateurs portables pour "
        "vos ateliers.",
        [
            _offer(
                "Cycle d'ateliers « Premiers pas sur l'ordinateur » pour votre public",
                "atelier",
                ["mediation.outils_quotidien", "competences.bureautique"],
                "on_site",
                2,
                4,
                "volunteer",
                None,
                "Six séances de 2 h dans vos locaux pour les personnes qui débutent : souris et clavier, "
                "messagerie, navigation, classement des fichiers. Nous venons avec dix ordinateurs portables et "
                "une connexion 4G si besoin. Groupes de 6 à 8 personnes au maximum.",
            ),
            _offer(
                "Prêt d'une valise de dix ordinateurs portables avec animateur",
                "espace",
                ["mediation.acces_materiel"],
                "on_site",
                3,
                3,
                "paid",
                120,
                "Pour un forum, une journée portes ouvertes ou une formation, nous prêtons une valise de dix "
                "portables reconditionnés équipés de logiciels libres, avec un animateur pour l'installation. "
                "Tarif à la demi-journée, transport compris dans un rayon de 25 km autour de Toulon.",
            ),
            _offer(
                "Transfert : monter une permanence d'aide aux démarches",
                "transfert",
                ["mediation.demarches", "competences.formation_equipes"],
                "on_site",
                8,
                1,
                "voucher",
                500,
                "Vous voulez ouvrir une permanence d'aide aux démarches en ligne dans votre centre social ou "
                "votre mairie ? Nous vous transmettons notre organisation : accueil, prise de rendez-vous, "
                "habilitation Aidants Connect, fiches pratiques. Deux demi-journées chez nous puis une séance "
                "d'observation chez vous.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Réseau Médiation Numérique Alpes du Sud",
        "equipe_mediation",
        "05061",
        80,
        True,
        ["fr", "it"],
        True,
        "Pauline Chabrand",
        "Réseau de médiatrices et médiateurs numériques des Hautes-Alpes et de l'Ubaye, nous couvrons les vallées "
        "où les services sont loin : Champsaur, Queyras, Buëch, Embrunais. Nous nous déplaçons en mairie, en "
        "bibliothèque ou en foyer rural, et assurons le suivi en visio l'hiver, quand les cols sont fermés.",
        [
            _offer(
                "Accompagnement numérique itinérant des petites mairies",
                "conseil",
                ["gestion.services_publics", "securite.sauvegarde", "competences.bureautique"],
                "on_site",
                3,
                4,
                "volunteer",
                None,
                "Une demi-journée en mairie avec la ou le secrétaire de mairie pour faire le point : messagerie, "
                "sauvegardes, plateformes de l'État, site de la commune. Nous repartons avec une liste d'actions "
                "et revenons un mois plus tard. Pensé pour les communes de moins de 1 000 habitants.",
            ),
            _offer(
                "Formation à distance : travailler en équipe avec des outils partagés",
                "formation",
                ["gestion.collaboratif"],
                "remote",
                4,
                5,
                "voucher",
                320,
                "Quatre séances d'une heure en visio pour apprendre à partager agendas, dossiers et tableaux au "
                "sein de votre équipe ou de votre bureau associatif. Nous privilégions des outils libres hébergés "
                "en France, mais nous partons de ce que vous avez déjà. Idéal quand les membres habitent dans "
                "plusieurs vallées.",
            ),
            _offer(
                "Conférence « Numérique et territoires de montagne »",
                "conference",
                ["materiel.reseau", "mediation.comprehension"],
                "on_site",
                2,
                1,
                "volunteer",
                None,
                "Pour un conseil municipal, une communauté de communes ou une assemblée générale : état des lieux "
                "de la fibre et du mobile, solutions pour les zones blanches, retours d'expérience de villages "
                "voisins. Suivie d'un temps d'échange avec les habitants.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Espace Numérique Rhône-Durance",
        "equipe_mediation",
        "84087",
        35,
        False,
        ["fr", "es"],
        False,
        "Cédric Vial",
        "Équipe de médiation numérique portée par une association intercommunale du nord Vaucluse. Nous animons un "
        "espace public numérique à Orange et des ateliers dans les villages entre Bollène, Valréas et "
        "Vaison-la-Romaine. Nos spécialités : les démarches, l'emploi et l'accompagnement des associations.",
        [
            _offer(
                "Atelier « Trouver un emploi et se présenter en ligne »",
                "atelier",
                ["mediation.insertion_pro", "mediation.outils_quotidien"],
                "on_site",
                3,
                4,
                "volunteer",
                None,
                "Pour les structures d'insertion et les associations qui accompagnent des demandeurs d'emploi : "
                "créer son espace France Travail, rédiger un CV en ligne, postuler depuis son téléphone. Groupes "
                "de 8 personnes, dans vos locaux ou dans notre espace à Orange.",
            ),
            _offer(
                "Mettre en place les adhésions en ligne de votre association",
                "installation",
                ["gestion.adherents", "gestion.paiement"],
                "both",
                3,
                3,
                "volunteer",
                None,
                "Nous configurons avec vous la campagne d'adhésion de l'association sur une plateforme de "
                "paiement associative : formulaire, tarifs, reçus, export vers votre tableau des adhérents. Une "
                "séance de 3 h, puis un appel de suivi au moment de la rentrée. Gratuit pour les associations "
                "du nord Vaucluse.",
            ),
            _offer(
                "Mise à disposition de notre salle informatique",
                "espace",
                ["mediation.acces_materiel"],
                "on_site",
                4,
                6,
                "paid",
                60,
                "Salle de 12 postes sous Linux et Windows, avec vidéoprojecteur et imprimante, disponible à la "
                "demi-journée pour vos formations ou réunions. Fibre et wifi invités. Tarif associatif de 60 € la "
                "demi-journée, ménage compris.",
            ),
        ],
    ),
    _provider(
        "Fabrique Numérique de Martigues",
        "equipe_mediation",
        "13056",
        25,
        False,
        ["fr"],
        False,
        "Anthony Navarro",
        "La Fabrique est l'équipe de médiation numérique d'une association de quartier de Martigues. Nous proposons "
        "des ateliers de création (vidéo, son, impression 3D) et accompagnons les associations du pourtour de "
        "l'étang de Berre dans leurs projets numériques.",
        [
            _offer(
                "Atelier vidéo au smartphone : tourner et monter un reportage de 2 minutes",
                "atelier",
                ["competences.creation_media", "mediation.loisirs_creation"],
                "on_site",
                4,
                3,
                "volunteer",
                None,
                "Atelier de 4 h pour apprendre à filmer, cadrer et monter une courte vidéo avec un simple "
                "téléphone. Chaque participant repart avec un reportage sur votre structure prêt à publier. Nous "
                "fournissons micros-cravates et trépieds.",
            ),
            _offer(
                "Formation « Podcast associatif »",
                "formation",
                ["competences.creation_media", "presence.newsletter"],
                "on_site",
                6,
                2,
                "voucher",
                400,
                "Deux demi-journées pour concevoir, enregistrer et publier le podcast de votre association : "
                "écriture, prise de son, montage avec Audacity, mise en ligne. Groupe de 4 à 6 personnes. Nous "
                "prêtons enregistreurs et micros le temps du premier épisode.",
            ),
            _offer(
                "Soirée-débat « Les écrans et nos enfants »",
                "conference",
                ["mediation.parentalite"],
                "on_site",
                2,
                2,
                "volunteer",
                None,
                "Soirée-débat pour les parents, dans une école, une crèche ou un centre social : temps d'écran, "
                "contrôle parental, réseaux sociaux des adolescents. Nous partons des questions des parents "
                "plutôt que de donner des leçons, et laissons une fiche pratique à emporter.",
                status="submitted",
            ),
        ],
    ),
    _provider(
        "Nadia Haddad, conseillère numérique",
        "mediateur",
        "13055",
        15,
        False,
        ["fr", "ar"],
        False,
        "Nadia Haddad",
        "Conseillère numérique dans les quartiers nord de Marseille depuis 2021, j'accompagne les habitants et les "
        "associations de proximité, en français et en arabe. J'interviens surtout dans les 13e, 14e et "
        "15e arrondissements, dans vos locaux ou en permanence au centre social.",
        [
            _offer(
                "Permanence d'aide aux démarches en ligne pour votre public",
                "atelier",
                ["mediation.demarches"],
                "on_site",
                3,
                6,
                "volunteer",
                None,
                "Je tiens une permanence dans vos locaux pour aider les personnes que vous accueillez : CAF, "
                "Assurance maladie, impôts, France Travail. Chaque personne repart en sachant refaire la démarche "
                "seule, ou avec une solution pour être aidée. Permanence de 3 h, tous les quinze jours si besoin.",
            ),
            _offer(
                "Formation « Accueillir sans faire à la place »",
                "formation",
                ["competences.formation_equipes", "mediation.comprehension"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Une demi-journée pour les salariés et bénévoles d'accueil d'une association : repérer une "
                "difficulté avec le numérique, guider sans prendre la souris, connaître les relais du quartier. "
                "La formation s'appuie sur des situations réelles vécues en permanence.",
            ),
            _offer(
                "Atelier « Mon téléphone, mes papiers »",
                "atelier",
                ["mediation.demarches", "mediation.outils_quotidien"],
                "on_site",
                2,
                4,
                "volunteer",
                None,
                "Atelier de 2 h pour apprendre à photographier et numériser ses papiers avec son téléphone, les "
                "ranger dans un coffre-fort numérique et les envoyer en pièce jointe. Très demandé par les "
                "personnes accompagnées par les associations de solidarité.",
            ),
        ],
    ),
    _provider(
        "Lucas Ferrero, médiateur numérique",
        "mediateur",
        "05023",
        60,
        False,
        ["fr", "it"],
        False,
        "Lucas Ferrero",
        "Médiateur numérique dans le Briançonnais, je partage ma semaine entre Briançon, la vallée de la Clarée et "
        "le Queyras. Avant, j'étais technicien réseau : je suis à l'aise avec le matériel, la connexion et les "
        "petites pannes qui bloquent tout.",
        [
            _offer(
                "Installation et réglage de votre réseau wifi",
                "installation",
                ["materiel.reseau", "materiel.installation_postes"],
                "on_site",
                3,
                4,
                "voucher",
                200,
                "Je viens installer ou remettre en ordre votre box, votre wifi et votre imprimante, et j'ajoute un "
                "réseau invité séparé pour le public. Idéal pour les gîtes, refuges, offices de tourisme et petits "
                "commerces. Je laisse une fiche avec les mots de passe et la marche à suivre en cas de panne.",
            ),
            _offer(
                "Atelier smartphone pour les saisonniers et les aînés",
                "atelier",
                ["mediation.outils_quotidien", "mediation.usage_securise"],
                "on_site",
                2,
                5,
                "volunteer",
                None,
                "Deux heures pour maîtriser son téléphone : applications utiles, stockage saturé, photos, mises à "
                "jour, gestes de sécurité. Je m'adapte au groupe, du saisonnier qui doit déclarer ses heures à la "
                "grand-mère qui veut appeler ses petits-enfants en vidéo.",
            ),
            _offer(
                "Reconditionner les vieux ordinateurs de votre association",
                "installation",
                ["materiel.reconditionnement", "libre.migration"],
                "on_site",
                4,
                2,
                "volunteer",
                None,
                "Vous avez de vieux ordinateurs qui dorment dans un placard ? Je les diagnostique, remplace ce qui "
                "doit l'être et installe un système libre léger pour leur donner une seconde vie. Comptez une "
                "demi-journée pour trois ou quatre machines.",
            ),
        ],
    ),
    _provider(
        "Camille Delorme, médiatrice numérique",
        "mediateur",
        "84031",
        30,
        False,
        ["fr", "en"],
        False,
        "Camille Delorme",
        "Médiatrice numérique dans le Comtat Venaissin, j'ai travaillé dix ans dans le commerce avant de me former "
        "à la médiation. J'aide surtout les commerçants, les artisans et les associations à être visibles et à "
        "gérer leurs outils au quotidien.",
        [
            _offer(
                "Créer sa fiche d'établissement et gérer ses avis clients",
                "atelier",
                ["presence.referencement"],
                "on_site",
                2,
                6,
                "volunteer",
                None,
                "Séance individuelle de 2 h dans votre boutique ou votre atelier : création ou reprise de votre "
                "fiche, horaires, photos, réponses aux avis. Nous vérifions aussi vos informations sur le site de "
                "l'office de tourisme. Vous repartez avec une routine de 15 minutes par semaine.",
            ),
            _offer(
                "Initiation à la facturation en ligne pour les artisans",
                "formation",
                ["gestion.compta_facturation"],
                "both",
                3,
                4,
                "voucher",
                250,
                "Pour préparer l'obligation de facture électronique : choisir un outil simple, créer vos modèles "
                "de devis et de factures, suivre les paiements. Je présente plusieurs solutions, dont des "
                "logiciels libres, sans parti pris commercial. Trois heures, en une ou deux fois.",
            ),
            _offer(
                "Atelier Instagram pour les commerçants et les producteurs",
                "atelier",
                ["presence.reseaux_sociaux", "competences.creation_media"],
                "on_site",
                3,
                4,
                "voucher",
                180,
                "Trois heures pour prendre de belles photos de vos produits avec votre téléphone, écrire des "
                "légendes qui donnent envie et publier régulièrement sans y passer vos soirées. Nous programmons "
                "ensemble vos publications des deux semaines suivantes.",
            ),
        ],
    ),
    _provider(
        "Romain Castel, médiateur numérique",
        "mediateur",
        "83050",
        40,
        False,
        ["fr"],
        False,
        "Romain Castel",
        "Médiateur numérique pour la Dracénie, je travaille avec les associations, les mairies et les structures "
        "sociales du centre Var. J'anime beaucoup d'ateliers collectifs et j'aime les formats courts et pratiques.",
        [
            _offer(
                "Atelier « Ma messagerie en ordre »",
                "atelier",
                ["mediation.outils_quotidien", "competences.bureautique"],
                "on_site",
                2,
                6,
                "volunteer",
                None,
                "Dossiers, filtres, signature, pièces jointes trop lourdes, courriers indésirables : en 2 h, nous "
                "remettons de l'ordre dans la messagerie de votre structure. Atelier pour 4 à 8 personnes, chacune "
                "sur son propre compte.",
            ),
            _offer(
                "Atelier sécurité : mots de passe et double authentification",
                "atelier",
                ["securite.cybersecurite", "mediation.usage_securise"],
                "on_site",
                2,
                5,
                "volunteer",
                None,
                "Nous installons ensemble un gestionnaire de mots de passe libre et activons la double "
                "authentification sur vos comptes importants. Chaque participant repart avec ses comptes "
                "sécurisés et une méthode à transmettre à ses collègues.",
            ),
            _offer(
                "Café numérique mensuel en médiathèque",
                "atelier",
                ["mediation.comprehension", "mediation.outils_quotidien"],
                "on_site",
                2,
                2,
                "volunteer",
                None,
                "Un rendez-vous mensuel et convivial en médiathèque ou au foyer : chacun vient avec sa question, "
                "son téléphone ou son ordinateur. Un thème court ouvre chaque séance : photos, arnaques, stockage "
                "en ligne. Format testé à Draguignan depuis 2023.",
                status="draft",
            ),
        ],
    ),
    _provider(
        "Inès Moreau, conseillère numérique",
        "mediateur",
        "13004",
        35,
        False,
        ["fr", "es"],
        False,
        "Inès Moreau",
        "Conseillère numérique en pays d'Arles et en Camargue, j'interviens dans les mairies, les centres sociaux et "
        "les associations culturelles. Je parle espagnol et j'accompagne aussi les travailleurs saisonniers "
        "agricoles.",
        [
            _offer(
                "Atelier bilingue français-espagnol : démarches et santé en ligne",
                "atelier",
                ["mediation.demarches"],
                "on_site",
                2.5,
                4,
                "volunteer",
                None,
                "Atelier en français et en espagnol pour les personnes qui découvrent les services en ligne : "
                "créer son compte d'assurance maladie, prendre rendez-vous chez le médecin, suivre ses "
                "remboursements. Pour les associations et les employeurs qui accueillent des saisonniers.",
            ),
            _offer(
                "Sensibiliser les parents à la vie numérique des enfants",
                "atelier",
                ["mediation.parentalite", "mediation.usage_securise"],
                "on_site",
                2,
                3,
                "volunteer",
                None,
                "Atelier pour les parents, dans une école ou un centre social : paramétrer le téléphone d'un "
                "enfant, parler des réseaux sociaux, utiliser l'espace numérique de travail du collège. Garde "
                "d'enfants possible si la structure d'accueil s'en charge.",
            ),
        ],
    ),
    _provider(
        "Mathieu Blanc, médiateur numérique itinérant",
        "mediateur",
        "04088",
        60,
        False,
        ["fr", "oc"],
        False,
        "Mathieu Blanc",
        "Avec le camion numérique du pays de Forcalquier et de la montagne de Lure, je sillonne les villages des "
        "Alpes-de-Haute-Provence. Le camion transporte six ordinateurs, une imprimante et une connexion satellite : "
        "je peux installer un atelier sur une place de village en vingt minutes.",
        [
            _offer(
                "Le camion numérique sur votre place de village",
                "espace",
                ["mediation.acces_materiel", "mediation.demarches"],
                "on_site",
                4,
                4,
                "volunteer",
                None,
                "Une demi-journée sur la place de votre village avec six postes connectés, une imprimante et un "
                "médiateur. Les habitants viennent pour leurs démarches, leurs questions ou pour découvrir. La "
                "mairie ou l'association fournit seulement un branchement électrique et relaie l'annonce.",
            ),
            _offer(
                "Cartographier votre village dans OpenStreetMap",
                "atelier",
                ["libre.open_data", "libre.communs"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Nous cartographions ensemble les commerces, sentiers, fontaines et services de votre village "
                "dans OpenStreetMap, la carte libre réutilisée par de nombreuses applications. Atelier de 3 h, "
                "mi-salle mi-terrain, ouvert aux habitants de tout âge.",
            ),
        ],
    ),
    _provider(
        "Jean-Pierre Albertini",
        "expert_benevole",
        "83126",
        25,
        False,
        ["fr"],
        False,
        "Jean-Pierre Albertini",
        "Ingénieur informaticien à la retraite après trente ans dans l'industrie navale varoise, je donne de mon "
        "temps aux associations de l'aire toulonnaise : sauvegardes, réseau, choix du matériel. J'explique sans "
        "jargon et je laisse toujours derrière moi une documentation simple.",
        [
            _offer(
                "Mise en place d'une sauvegarde automatique de vos données",
                "installation",
                ["securite.sauvegarde"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Je viens installer une sauvegarde automatique de vos ordinateurs et de vos documents partagés, "
                "sur disque externe et en ligne, selon la règle du 3-2-1. Nous testons ensemble une restauration "
                "pour être sûrs que tout fonctionne. Une demi-journée suffit pour une petite structure.",
            ),
            _offer(
                "Conseil avant l'achat de matériel informatique",
                "conseil",
                ["materiel.reconditionnement", "materiel.installation_postes"],
                "both",
                1.5,
                4,
                "volunteer",
                None,
                "Avant d'acheter des ordinateurs, une imprimante ou un serveur, prenons une heure et demie pour "
                "définir ce dont vous avez vraiment besoin. Je vous oriente vers du reconditionné de qualité quand "
                "c'est possible et je relis les devis que vous avez reçus.",
            ),
            _offer(
                "Installer et sécuriser le réseau d'une petite association",
                "installation",
                ["materiel.reseau", "securite.cybersecurite"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Box, wifi, réseau invité, imprimante partagée, mises à jour des postes : je remets à plat "
                "l'installation de votre local et je note tout dans un petit classeur. Pour les associations qui "
                "n'ont personne pour s'en occuper.",
            ),
        ],
    ),
    _provider(
        "Sophie Marchetti",
        "expert_benevole",
        "06088",
        20,
        True,
        ["fr", "it", "en"],
        False,
        "Sophie Marchetti",
        "Ancienne responsable de la communication d'un grand hôtel niçois, je consacre une partie de ma retraite "
        "aux associations et aux petits commerces. Je les aide à raconter ce qu'ils font, sur les réseaux sociaux "
        "et dans leur lettre d'information. Je travaille aussi en italien et en anglais.",
        [
            _offer(
                "Construire votre ligne éditoriale sur les réseaux sociaux",
                "conseil",
                ["presence.reseaux_sociaux"],
                "both",
                2,
                3,
                "volunteer",
                None,
                "En deux séances d'une heure, nous définissons vos publics, vos trois thèmes récurrents et un "
                "rythme de publication tenable. Je relis vos dix premières publications et vous fais un retour "
                "détaillé. Pour les structures qui publient déjà, mais sans plan.",
            ),
            _offer(
                "Créer votre lettre d'information mensuelle",
                "atelier",
                ["presence.newsletter"],
                "remote",
                2,
                3,
                "volunteer",
                None,
                "Atelier en visio pour concevoir le modèle de votre lettre d'information, importer vos contacts "
                "dans le respect du RGPD et programmer le premier envoi. Je vous montre comment savoir ce qui est "
                "lu et comment rester court.",
            ),
            _offer(
                "Traduire vos contenus pour les visiteurs italiens et anglais",
                "conseil",
                ["presence.site_web", "presence.referencement"],
                "remote",
                3,
                2,
                "volunteer",
                None,
                "Je traduis en italien et en anglais les pages principales de votre site et votre fiche "
                "d'établissement, pour accueillir les visiteurs étrangers de la Côte d'Azur.",
                status="rejected",
                reason="Merci pour cette proposition. Une traduction seule sort du cadre du Hub : pouvez-vous "
                "la reformuler comme un accompagnement (méthode, outils, relecture avec la structure) ?",
            ),
        ],
    ),
    _provider(
        "Hélène Roux",
        "expert_benevole",
        "84007",
        30,
        False,
        ["fr"],
        False,
        "Hélène Roux",
        "Comptable pendant trente-cinq ans dans un cabinet avignonnais, je suis maintenant bénévole auprès des "
        "associations et des très petites entreprises du Vaucluse. J'aide à choisir un logiciel de comptabilité, à "
        "le paramétrer et à prendre les bonnes habitudes.",
        [
            _offer(
                "Tenir la comptabilité de l'association sur un logiciel adapté",
                "installation",
                ["gestion.compta_facturation"],
                "on_site",
                3,
                3,
                "volunteer",
                None,
                "Nous choisissons ensemble un logiciel adapté à la taille de l'association (tableur guidé, "
                "Paheko ou logiciel en ligne), puis je le paramètre avec votre trésorier : plan comptable, "
                "banques, catégories. Deux séances de 1 h 30, la seconde après votre premier mois de saisie.",
            ),
            _offer(
                "Préparer le passage à la facture électronique",
                "conseil",
                ["gestion.compta_facturation", "gestion.services_publics"],
                "both",
                2,
                4,
                "volunteer",
                None,
                "D'ici 2027, toutes les entreprises devront émettre des factures électroniques. En 2 h, je vous "
                "explique le calendrier, ce qui change pour vous et comment choisir une plateforme agréée. Je "
                "vérifie aussi que vos mentions obligatoires sont à jour.",
            ),
        ],
    ),
    _provider(
        "Karim Benali",
        "expert_benevole",
        "13055",
        15,
        True,
        ["fr", "ar", "en"],
        False,
        "Karim Benali",
        "Développeur web dans une agence marseillaise, je donne quelques soirées par mois pour aider les "
        "associations et les commerces de quartier. Je privilégie des sites simples et rapides, que vous pourrez "
        "mettre à jour vous-mêmes.",
        [
            _offer(
                "Créer un site vitrine simple avec WordPress",
                "installation",
                ["presence.site_web", "presence.referencement"],
                "both",
                6,
                1,
                "volunteer",
                None,
                "Je monte avec vous un site de quatre ou cinq pages (accueil, activités, agenda, contact) sur "
                "WordPress, avec un thème léger et accessible. Trois soirées de 2 h, dont une consacrée à vous "
                "rendre autonomes pour les mises à jour. Vous ne payez que l'hébergement et le nom de domaine.",
            ),
            _offer(
                "Audit rapide de votre site : vitesse, mobile, accessibilité",
                "audit",
                ["presence.site_web", "securite.accessibilite"],
                "remote",
                2,
                3,
                "volunteer",
                None,
                "J'analyse votre site sur téléphone et sur ordinateur, sa vitesse, son référencement de base et "
                "ses principaux défauts d'accessibilité. Vous recevez une liste de corrections classées de la plus "
                "simple à la plus technique, et nous en parlons 30 minutes en visio.",
            ),
        ],
    ),
    _provider(
        "Marie-Claude Fabre",
        "expert_benevole",
        "04070",
        50,
        False,
        ["fr"],
        False,
        "Marie-Claude Fabre",
        "Professeure de technologie à la retraite, je forme depuis cinq ans les bénévoles et les aînés du pays "
        "dignois aux outils du quotidien. Patience garantie : personne n'est trop âgé ni trop « nul » pour "
        "l'ordinateur.",
        [
            _offer(
                "Bureautique pour les bénévoles : traitement de texte et tableur",
                "formation",
                ["competences.bureautique", "mediation.outils_quotidien"],
                "on_site",
                6,
                2,
                "volunteer",
                None,
                "Trois séances de 2 h pour que vos bénévoles sachent rédiger un compte rendu, mettre en forme une "
                "affiche et tenir un tableau de suivi simple. Je travaille sur LibreOffice ou sur les outils que "
                "vous utilisez déjà. Groupe de 3 à 6 personnes, dans vos locaux.",
            ),
            _offer(
                "Atelier « Partager ses photos et appeler en vidéo »",
                "atelier",
                ["mediation.loisirs_creation", "mediation.outils_quotidien"],
                "on_site",
                2,
                4,
                "volunteer",
                None,
                "Pour les clubs d'aînés et les résidences autonomie : trier ses photos, les envoyer à la famille, "
                "passer un appel vidéo. Atelier de 2 h, sur les tablettes et les téléphones des participants.",
            ),
        ],
    ),
    _provider(
        "Thomas Giraud",
        "expert_benevole",
        "05061",
        80,
        True,
        ["fr", "en"],
        False,
        "Thomas Giraud",
        "Juriste spécialisé en protection des données, je consacre quatre heures par semaine aux associations et "
        "aux petites communes qui veulent se mettre en règle avec le RGPD sans y passer des mois. J'explique, je "
        "fournis des modèles, et je vous laisse faire.",
        [
            _offer(
                "Mise en conformité RGPD pour les associations",
                "conseil",
                ["securite.rgpd"],
                "both",
                4,
                3,
                "volunteer",
                None,
                "En deux séances, nous dressons le registre des traitements de l'association (adhérents, "
                "bénévoles, donateurs), rédigeons les mentions d'information et fixons les durées de conservation. "
                "Je fournis des modèles prêts à adapter. Aucun prérequis juridique.",
            ),
            _offer(
                "Audit RGPD express d'un site internet",
                "audit",
                ["securite.rgpd", "presence.site_web"],
                "remote",
                2,
                4,
                "volunteer",
                None,
                "Bandeau cookies, formulaires de contact, mentions légales, politique de confidentialité : je passe "
                "votre site au crible et vous envoie une liste de corrections avec des textes types. Un échange de "
                "30 minutes en visio pour répondre à vos questions.",
            ),
            _offer(
                "Conférence « RGPD en mairie : ce qui change pour les élus »",
                "conference",
                ["securite.rgpd", "gestion.services_publics"],
                "on_site",
                2,
                1,
                "volunteer",
                None,
                "Pour un conseil municipal ou une réunion de secrétaires de mairie : les obligations d'une petite "
                "commune, le rôle du délégué à la protection des données, les erreurs les plus fréquentes (listes "
                "électorales, vidéoprotection, fichiers de l'état civil). Support remis aux participants.",
            ),
        ],
    ),
    _provider(
        "La Ruche du Haut-Var",
        "tiers_lieu",
        "83007",
        40,
        False,
        ["fr", "en"],
        True,
        "Aurélie Bonnet",
        "Tiers-lieu installé dans une ancienne cave coopérative d'Aups : espace de coworking, atelier partagé, "
        "salle de formation et café associatif. Nous accueillons indépendants, associations et porteurs de projets "
        "du Haut-Var, et transmettons volontiers notre expérience aux villages qui veulent se lancer.",
        [
            _offer(
                "Accompagner la création de votre tiers-lieu rural",
                "tiers_lieu",
                ["tiers_lieux.creation", "tiers_lieux.modele_economique"],
                "on_site",
                6,
                2,
                "voucher",
                600,
                "Six heures réparties sur trois rencontres pour passer de l'idée au projet : besoins du village, "
                "choix du lieu, gouvernance, premières ressources. Nous venons avec notre expérience de la reprise "
                "d'une cave coopérative et nos tableaux de bord.",
            ),
            _offer(
                "Poste de coworking à la journée",
                "espace",
                ["mediation.acces_materiel"],
                "on_site",
                8,
                8,
                "paid",
                15,
                "Un poste de travail dans un espace lumineux avec fibre, imprimante, café et salle de visio "
                "réservable. 15 € la journée, 120 € les dix jours. Idéal pour les indépendants et les salariés en "
                "télétravail du Haut-Var.",
            ),
            _offer(
                "Visite apprenante du tiers-lieu et retour d'expérience",
                "transfert",
                ["tiers_lieux.animation", "tiers_lieux.creation"],
                "on_site",
                3,
                3,
                "volunteer",
                None,
                "Visite commentée de la Ruche pour les élus, les associations et les porteurs de projet : comment "
                "nous avons démarré, ce qui a marché, ce que nous ferions autrement. Suivie d'un repas partagé au "
                "café associatif, à prix libre.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Le Moulin Connecté",
        "tiers_lieu",
        "04112",
        40,
        False,
        ["fr"],
        True,
        "Florian Reynaud",
        "Tiers-lieu numérique de Manosque, le Moulin Connecté réunit un fablab, un espace de coworking et une "
        "équipe de médiation. Nous accueillons les entreprises de la vallée de la Durance, les associations et les "
        "scolaires autour de la fabrication numérique et des usages responsables.",
        [
            _offer(
                "Réservation du fablab : découpe laser et impression 3D accompagnées",
                "espace",
                ["mediation.loisirs_creation", "libre.materiel"],
                "on_site",
                3,
                6,
                "paid",
                45,
                "Un créneau de 3 h au fablab avec un fabmanager pour réaliser vos prototypes, votre signalétique "
                "ou vos objets promotionnels. 45 € la séance, matière en sus. Première séance de découverte "
                "offerte aux associations.",
            ),
            _offer(
                "Atelier « Numérique responsable » pour les entreprises",
                "atelier",
                ["competences.numerique_responsable", "materiel.reconditionnement"],
                "on_site",
                3,
                3,
                "paid",
                240,
                "Atelier de 3 h pour mesurer l'empreinte numérique de votre entreprise et repérer les gestes qui "
                "comptent : durée de vie du matériel, stockage, visio, impression. Vous repartez avec un plan "
                "d'action chiffré et des adresses de reconditionneurs locaux.",
            ),
            _offer(
                "Animer un tiers-lieu : programmation et communauté",
                "formation",
                ["tiers_lieux.animation"],
                "on_site",
                6,
                2,
                "voucher",
                450,
                "Une journée de formation pour les équipes de tiers-lieux jeunes ou essoufflés : construire une "
                "programmation, faire venir de nouveaux publics, impliquer les bénévoles sans les épuiser. "
                "S'appuie sur nos cinq ans d'animation du Moulin.",
            ),
        ],
        website=True,
    ),
    _provider(
        "La Cordée Numérique",
        "tiers_lieu",
        "05046",
        50,
        False,
        ["fr"],
        False,
        "Élise Mounier",
        "Tiers-lieu associatif de l'Embrunais, la Cordée est née d'un collectif d'habitants qui voulaient un lieu "
        "pour travailler, apprendre et se retrouver l'hiver. Coworking, repair café mensuel, ateliers numériques et "
        "résidences de travail pour les associations de montagne.",
        [
            _offer(
                "Repair café informatique",
                "atelier",
                ["materiel.reconditionnement", "libre.materiel"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Chaque premier samedi du mois, des bénévoles réparent avec vous ordinateurs, téléphones et petits "
                "appareils. Nous pouvons aussi venir animer un repair café dans votre village ou votre "
                "association. Pièces détachées à prix coûtant.",
            ),
            _offer(
                "Salle de réunion équipée pour vos séminaires",
                "espace",
                ["mediation.acces_materiel"],
                "on_site",
                8,
                4,
                "paid",
                150,
                "Salle de 20 places avec écran, visio et fibre, à dix minutes du lac de Serre-Ponçon. 150 € la "
                "journée pour les associations, 250 € pour les entreprises. Hébergement possible dans les gîtes "
                "partenaires.",
            ),
            _offer(
                "Accompagner un collectif d'habitants vers un tiers-lieu de montagne",
                "tiers_lieu",
                ["tiers_lieux.creation", "tiers_lieux.animation"],
                "on_site",
                6,
                1,
                "volunteer",
                None,
                "Nous partageons notre expérience de collectif d'habitants : création de l'association, recherche "
                "d'un local, premiers financements, organisation des bénévoles. Trois rencontres de 2 h dans votre "
                "village.",
            ),
        ],
    ),
    _provider(
        "Tiers-lieu La Verrière",
        "tiers_lieu",
        "13005",
        20,
        False,
        ["fr"],
        True,
        "Nicolas Ferrand",
        "Installée dans une ancienne verrerie d'Aubagne, la Verrière réunit des artisans, une recyclerie "
        "informatique et un espace de formation. Nous accueillons chaque année une trentaine d'associations pour "
        "des formations, des réunions et des événements.",
        [
            _offer(
                "Ordinateurs reconditionnés à prix solidaire pour les associations",
                "installation",
                ["mediation.materiel_solidaire", "materiel.reconditionnement"],
                "on_site",
                2,
                5,
                "paid",
                150,
                "Notre recyclerie remet en état des ordinateurs portables et de bureau, livrés sous système libre "
                "ou sous Windows et garantis un an. 150 € le portable pour les associations, installation et prise "
                "en main comprises. Nous reprenons aussi votre ancien matériel.",
            ),
            _offer(
                "Créer et piloter un modèle économique hybride",
                "formation",
                ["tiers_lieux.modele_economique"],
                "on_site",
                7,
                1,
                "voucher",
                650,
                "Une journée pour les porteurs de tiers-lieux et d'associations : combiner recettes d'activité, "
                "adhésions, subventions et mécénat sans perdre son projet. Exercices sur vos propres chiffres, avec "
                "notre trésorière et une spécialiste de l'économie sociale et solidaire.",
            ),
        ],
        website=True,
    ),
    _provider(
        "L'Atelier des Possibles",
        "tiers_lieu",
        "84003",
        35,
        False,
        ["fr"],
        False,
        "Laure Chauvet",
        "Tiers-lieu du pays d'Apt, l'Atelier des Possibles abrite un espace de vie sociale, un café-librairie et une "
        "salle numérique. Nous sommes très liés aux villages du Luberon et accompagnons les collectifs d'habitants "
        "qui veulent ouvrir leur propre lieu.",
        [
            _offer(
                "Diagnostic de territoire pour un projet de tiers-lieu",
                "tiers_lieu",
                ["tiers_lieux.creation"],
                "on_site",
                14,
                1,
                "voucher",
                700,
                "Nous menons avec vous une enquête auprès des habitants, des associations et des élus de votre "
                "village pour vérifier qu'un tiers-lieu y répond à un besoin. Deux journées de terrain et une "
                "restitution publique. Vous repartez avec une synthèse et des pistes d'activités.",
            ),
            _offer(
                "Atelier de médiation numérique au café",
                "atelier",
                ["mediation.outils_quotidien", "mediation.comprehension"],
                "on_site",
                2,
                4,
                "volunteer",
                None,
                "Tous les jeudis après-midi, un médiateur reçoit au café les habitants qui ont une question sur "
                "leur ordinateur, leur téléphone ou un site administratif. Les associations peuvent réserver une "
                "séance pour un groupe.",
                status="submitted",
            ),
        ],
    ),
    _provider(
        "La Station Antiboise",
        "tiers_lieu",
        "06004",
        20,
        False,
        ["fr", "en"],
        True,
        "Guillaume Orsini",
        "Tiers-lieu dédié à l'entrepreneuriat et à la culture numérique, à deux pas du port Vauban. La Station "
        "accueille un coworking, un studio d'enregistrement et des formations pour les petites entreprises de la "
        "côte.",
        [
            _offer(
                "Location du studio son et vidéo",
                "espace",
                ["competences.creation_media"],
                "on_site",
                3,
                8,
                "paid",
                90,
                "Studio insonorisé avec fond vert, éclairage, deux caméras et des micros de qualité pour "
                "enregistrer vos podcasts, interviews et vidéos de présentation. 90 € la session de 3 h, avec un "
                "technicien pour la prise en main.",
            ),
            _offer(
                "Conférence « L'intelligence artificielle dans une TPE : ce qu'elle peut et ne peut pas faire »",
                "conference",
                ["mediation.comprehension", "competences.numerique_responsable"],
                "on_site",
                2,
                2,
                "paid",
                300,
                "Conférence de 1 h 30 suivie de 30 minutes d'échanges : démonstrations sur des tâches de TPE "
                "(rédaction, devis, réponses aux clients), limites, confidentialité et coût énergétique. Pour un "
                "club d'entreprises ou une association de commerçants.",
                status="rejected",
                reason="Bonjour, merci pour cette offre. Pouvez-vous préciser le public visé et retirer la "
                "démonstration d'un outil commercial unique ? Le Hub ne publie pas la promotion d'un "
                "produit en particulier.",
            ),
            _offer(
                "Formation « Vendre en ligne quand on est une petite boutique »",
                "formation",
                ["presence.boutique", "gestion.paiement"],
                "on_site",
                6,
                2,
                "paid",
                390,
                "Une journée pour choisir votre solution de vente en ligne (place de marché, boutique hébergée, "
                "retrait en magasin), préparer vos fiches produits et organiser les expéditions. En petit groupe "
                "de commerçants, sur vos propres produits.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Libre en Luberon",
        "expert_libre",
        "84035",
        40,
        False,
        ["fr"],
        False,
        "Denis Pellegrin",
        "Association d'utilisateurs de logiciels libres du Luberon et du pays de Cavaillon. Nos bénévoles, "
        "informaticiens en activité ou retraités, aident les associations et les petites structures à passer au "
        "Libre, à leur rythme et sans dogmatisme.",
        [
            _offer(
                "Install party : passer vos ordinateurs sous Linux",
                "installation",
                ["libre.migration", "materiel.installation_postes"],
                "on_site",
                4,
                2,
                "volunteer",
                None,
                "Nous venons une demi-journée dans vos locaux pour installer une distribution Linux adaptée sur les "
                "ordinateurs de la structure, après avoir sauvegardé vos données. Nous vérifions l'imprimante, le "
                "wifi et les logiciels indispensables avant de partir.",
            ),
            _offer(
                "Atelier LibreOffice pour les habitués de Microsoft Office",
                "atelier",
                ["libre.migration", "competences.bureautique"],
                "on_site",
                3,
                3,
                "volunteer",
                None,
                "Trois heures pour retrouver ses repères dans LibreOffice : styles, publipostage, tableaux croisés, "
                "compatibilité avec les fichiers Word et Excel reçus des partenaires. Chacun vient avec ses propres "
                "documents.",
            ),
            _offer(
                "Conférence « Logiciels libres et communs numériques »",
                "conference",
                ["libre.communs", "mediation.comprehension"],
                "on_site",
                1.5,
                2,
                "volunteer",
                None,
                "Une conférence grand public pour comprendre ce qu'est un logiciel libre, pourquoi des "
                "administrations et des villes entières les ont adoptés, et comment contribuer même sans savoir "
                "programmer. Idéale pour une soirée en médiathèque.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Benoît Arnaud, consultant en logiciels libres",
        "expert_libre",
        "83069",
        30,
        True,
        ["fr", "en"],
        True,
        "Benoît Arnaud",
        "Consultant indépendant depuis 2012, j'accompagne les TPE, les associations et les collectivités du Var "
        "qui veulent reprendre la main sur leurs outils : messagerie, partage de fichiers, agenda, téléphonie. Je "
        "travaille avec des hébergeurs associatifs et des prestataires français.",
        [
            _offer(
                "Audit de vos outils et plan de migration vers le Libre",
                "audit",
                ["libre.migration", "securite.sauvegarde"],
                "both",
                4,
                2,
                "paid",
                480,
                "Je recense vos logiciels, vos abonnements et vos usages réels, puis je propose un plan de "
                "migration progressif avec des équivalents libres et leur coût. Restitution d'une heure avec "
                "l'équipe et document de synthèse.",
            ),
            _offer(
                "Installation d'un Nextcloud pour votre équipe",
                "installation",
                ["gestion.collaboratif", "libre.migration"],
                "both",
                6,
                2,
                "voucher",
                500,
                "Je mets en place un espace Nextcloud hébergé en France (fichiers, agenda, contacts, visio), je "
                "migre vos documents et je forme l'équipe pendant deux heures. Vous restez propriétaires de vos "
                "données et pouvez changer d'hébergeur à tout moment.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Mathilde Serra, formatrice outils collaboratifs libres",
        "expert_libre",
        "04209",
        60,
        True,
        ["fr", "es"],
        True,
        "Mathilde Serra",
        "Développeuse devenue formatrice, je forme les équipes aux outils collaboratifs libres : Nextcloud, "
        "BigBlueButton, pads, sondages. Basée à Sisteron, j'interviens surtout à distance et je me déplace dans les "
        "Alpes-de-Haute-Provence et le sud des Hautes-Alpes.",
        [
            _offer(
                "Formation à distance : travailler ensemble avec des outils libres",
                "formation",
                ["gestion.collaboratif", "libre.migration"],
                "remote",
                4,
                4,
                "paid",
                320,
                "Quatre modules d'une heure en visio : partage de fichiers, agenda commun, rédaction à plusieurs et "
                "visioconférence libre. Chaque module se termine par un exercice sur les vrais documents de votre "
                "structure. Pour 3 à 10 personnes.",
            ),
            _offer(
                "Former les référents d'une association aux outils libres",
                "transfert",
                ["libre.migration", "gestion.adherents", "competences.formation_equipes"],
                "both",
                6,
                2,
                "voucher",
                450,
                "Je forme une ou deux personnes référentes de l'association pour qu'elles accompagnent ensuite les "
                "autres bénévoles : choix des outils, documentation interne, gestion des comptes. Trois séances de "
                "2 h à un mois d'intervalle.",
            ),
        ],
    ),
    _provider(
        "Collectif Azur Libre",
        "expert_libre",
        "06029",
        30,
        False,
        ["fr", "en", "it"],
        False,
        "Stéphane Lombardi",
        "Collectif de bénévoles libristes de l'ouest des Alpes-Maritimes, nous animons des permanences mensuelles à "
        "Cannes et au Cannet. Nous aidons les structures à ouvrir leurs données et à découvrir les alternatives "
        "libres aux grands services en ligne.",
        [
            _offer(
                "Publier vos données en open data",
                "conseil",
                ["libre.open_data", "competences.donnees_publiques"],
                "both",
                3,
                2,
                "volunteer",
                None,
                "Pour une commune, une association ou un office de tourisme : choisir les premiers jeux de données "
                "à ouvrir (horaires, équipements, subventions), les mettre au bon format et les publier sur "
                "data.gouv.fr. Nous restons disponibles pour la première mise à jour.",
            ),
            _offer(
                "Atelier « Libérons l'association des géants du web »",
                "atelier",
                ["libre.migration", "securite.rgpd"],
                "on_site",
                3,
                2,
                "volunteer",
                None,
                "Un atelier pratique pour remplacer pas à pas les services des grandes plateformes : formulaires, "
                "sondages, agenda, visioconférence. Nous utilisons des services libres proposés par des hébergeurs "
                "associatifs du collectif CHATONS.",
            ),
        ],
    ),
    _provider(
        "Olivier Pons, administrateur systèmes libres",
        "expert_libre",
        "83061",
        40,
        True,
        ["fr"],
        True,
        "Olivier Pons",
        "Administrateur systèmes et réseaux depuis vingt ans, je me suis installé à mon compte à Fréjus pour "
        "accompagner les petites structures de l'Estérel et du golfe de Saint-Tropez. Serveurs, sauvegardes, "
        "messagerie, sécurité : je privilégie des solutions libres, documentées et maintenables par d'autres que "
        "moi.",
        [
            _offer(
                "Audit de sécurité informatique d'une petite structure",
                "audit",
                ["securite.cybersecurite", "securite.sauvegarde"],
                "on_site",
                4,
                2,
                "paid",
                420,
                "Une demi-journée sur place pour examiner vos postes, votre réseau, vos comptes et vos sauvegardes, "
                "suivie d'un rapport clair avec les failles à corriger en priorité. Je ne vends pas de matériel : "
                "mes recommandations sont indépendantes.",
                status="submitted",
            ),
            _offer(
                "Migrer votre messagerie vers un hébergeur français",
                "installation",
                ["libre.migration", "securite.rgpd"],
                "remote",
                5,
                2,
                "paid",
                450,
                "Je transfère vos boîtes aux lettres, contacts et agendas vers un hébergeur français ou associatif, "
                "sans perte de messages et avec une coupure de moins d'une heure. Configuration des téléphones et "
                "des ordinateurs comprise, avec une fiche pour les nouveaux arrivants.",
                status="submitted",
            ),
        ],
        status="submitted",
    ),
    _provider(
        "Atelier Web Provence",
        "entreprise",
        "13028",
        40,
        False,
        ["fr"],
        True,
        "Julien Sauvage",
        "Petite agence web de La Ciotat (deux personnes), nous créons des sites et des boutiques en ligne pour les "
        "commerçants, artisans et producteurs de la côte et du pays d'Aubagne. Nous formons toujours nos clients "
        "pour qu'ils soient autonomes.",
        [
            _offer(
                "Création d'une boutique en ligne clé en main",
                "installation",
                ["presence.boutique", "gestion.paiement", "presence.site_web"],
                "both",
                14,
                2,
                "paid",
                1800,
                "Boutique en ligne avec paiement sécurisé, jusqu'à 50 produits saisis, frais de port et mentions "
                "légales. Livraison en trois semaines, avec deux heures de formation pour gérer commandes et "
                "stocks. Maintenance proposée à part, sans engagement.",
            ),
            _offer(
                "Refonte d'un site vieillissant",
                "installation",
                ["presence.site_web", "securite.accessibilite"],
                "both",
                10,
                2,
                "voucher",
                500,
                "Nous reprenons les contenus de votre ancien site dans un outil moderne que vous saurez mettre à "
                "jour, adapté aux téléphones et aux règles d'accessibilité. Une partie de la prestation peut être "
                "couverte par un chèque d'accompagnement ; le devis détaille le reste à charge.",
            ),
            _offer(
                "Audit de référencement local",
                "audit",
                ["presence.referencement"],
                "remote",
                3,
                4,
                "paid",
                250,
                "Pourquoi vos concurrents apparaissent-ils avant vous dans les recherches à La Ciotat ou à "
                "Aubagne ? Nous analysons votre site, votre fiche d'établissement et vos avis, puis nous vous "
                "remettons dix actions concrètes classées par impact.",
            ),
        ],
        website=True,
    ),
    _provider(
        "Numéricité Conseil",
        "entreprise",
        "13055",
        50,
        True,
        ["fr", "en"],
        True,
        "Caroline Peyre",
        "Cabinet marseillais spécialisé en cybersécurité et en protection des données pour les TPE, les PME et les "
        "associations employeuses. Nos consultantes ont l'habitude des petites structures sans service "
        "informatique.",
        [
            _offer(
                "Audit RGPD complet avec registre et plan d'action",
                "audit",
                ["securite.rgpd"],
                "both",
                8,
                2,
                "paid",
                950,
                "Entretiens avec la direction et les personnes qui manipulent des données, revue des contrats et "
                "des outils, puis remise d'un registre des traitements, d'une cartographie des risques et d'un plan "
                "d'action sur douze mois. Deux jours de travail, dont une demi-journée sur place.",
            ),
            _offer(
                "Sensibiliser vos équipes à la cybersécurité",
                "formation",
                ["securite.cybersecurite", "mediation.usage_securise"],
                "on_site",
                3,
                4,
                "voucher",
                400,
                "Formation de 3 h pour toute l'équipe : hameçonnage, mots de passe, mises à jour, télétravail, "
                "réaction en cas d'incident. Exercices sur de vrais courriels piégés. Une attestation de formation "
                "est remise à chaque participant.",
            ),
            _offer(
                "Plan de continuité : et si vos données disparaissaient demain ?",
                "conseil",
                ["securite.sauvegarde", "securite.cybersecurite"],
                "both",
                4,
                2,
                "paid",
                480,
                "Nous identifions avec vous les données et les services sans lesquels votre activité s'arrête, "
                "puis nous construisons un plan simple : sauvegardes, contacts d'urgence, conduite à tenir face à "
                "un rançongiciel. Vous repartez avec un document de quatre pages à tester une fois par an.",
                status="draft",
            ),
        ],
        website=True,
    ),
    _provider(
        "Studio Mistral Création",
        "entreprise",
        "84007",
        40,
        False,
        ["fr", "en"],
        True,
        "Léo Guérin",
        "Studio de création graphique et vidéo installé à Avignon, nous travaillons beaucoup avec les compagnies du "
        "festival, les producteurs et les associations culturelles. Nous aimons transmettre : la moitié de nos "
        "missions comprend une formation.",
        [
            _offer(
                "Transmettre les bases de l'identité visuelle à votre équipe",
                "transfert",
                ["competences.creation_media", "presence.reseaux_sociaux"],
                "on_site",
                6,
                2,
                "paid",
                540,
                "Nous construisons avec vous une charte graphique simple (couleurs, typographies, logo décliné) et "
                "formons deux personnes de votre équipe à produire elles-mêmes affiches et visuels. Deux "
                "demi-journées, fichiers sources remis dans des formats ouverts.",
                status="submitted",
            ),
            _offer(
                "Atelier-tournage : réaliser le teaser de votre spectacle",
                "atelier",
                ["competences.creation_media"],
                "on_site",
                5,
                3,
                "paid",
                600,
                "Une journée de tournage-atelier pendant une répétition ou dans votre atelier : nous filmons avec "
                "votre équipe et montons ensemble un teaser de 45 secondes pour les réseaux sociaux. Vous apprenez "
                "les bases du cadrage et du montage en même temps.",
                status="submitted",
            ),
        ],
        website=True,
        status="submitted",
    ),
]


# ------------------------------------------------------------------ organisations


def _org(
    name,
    kind,
    size,
    insee,
    person,
    short,
    de_short,
    public,
    description,
    activity,
    topics,
    siret=True,
    website=False,
    status="published",
) -> dict:
    return {
        "name": name,
        "kind": kind,
        "size": size,
        "commune_insee": insee,
        "person": person,
        "short": short,
        "de_short": de_short,
        "public": public,
        "description": description,
        "activity": activity,
        "topics": topics,
        "siret": siret,
        "website": website,
        "status": status,
    }


# A topic is "question.choice" of the boussole (the second answer), optionally with an
# organisation-specific title and first sentence: ("topic", "title", "detail").
ORGANISATIONS = [
    # 0: the demo organisation (structure@demo.hubdusud.fr)
    _org(
        "Association Les Jardins de la Treille",
        "association",
        "2_9",
        "13055",
        "Martine Carbonel",
        "l'association",
        "de l'association",
        "nos adhérents",
        "Jardins partagés et cuisine solidaire dans le quartier de la Treille, sur les collines chères à Marcel "
        "Pagnol. 180 adhérents, deux salariées et une trentaine de bénévoles qui animent les parcelles, les ateliers "
        "de cuisine et la fête des récoltes.",
        "Nous gérons quarante parcelles de jardins partagés et des ateliers de cuisine pour les familles du "
        "quartier de la Treille.",
        [
            "visibilite.site_vieux",
            (
                "gestion.adherents",
                "Gérer les adhésions et le planning d'arrosage des jardins",
                "L'été, il faut organiser l'arrosage des parcelles entre une trentaine de bénévoles.",
            ),
            "securite.rgpd",
            "equipe.creation",
            "gestion.collaboratif",
        ],
        siret=False,
        website=True,
    ),
    _org(
        "Amicale Laïque de Manosque",
        "association",
        "benevoles",
        "04112",
        "Gérard Reynier",
        "l'amicale",
        "de l'amicale",
        "nos 350 adhérents",
        "Association d'éducation populaire fondée en 1948 : ciné-club, randonnée, théâtre amateur, soutien "
        "scolaire. Plus de 350 adhérents, et uniquement des bénévoles pour tout faire tourner.",
        "Notre amicale fait vivre une dizaine d'activités, du ciné-club au soutien scolaire, avec uniquement des "
        "bénévoles.",
        ["gestion.adherents", "gestion.collaboratif", "equipe.bases"],
        siret=False,
    ),
    _org(
        "Épicerie solidaire Le Panier Garni",
        "association",
        "2_9",
        "84007",
        "Sabrina Meunier",
        "l'épicerie",
        "de l'épicerie",
        "les familles que nous accueillons",
        "Épicerie solidaire du quartier Saint-Chamand à Avignon : produits à petit prix pour les familles "
        "orientées par les travailleurs sociaux, ateliers cuisine et budget.",
        "Nous accueillons chaque semaine environ 250 familles orientées par les services sociaux.",
        ["equipe.accueil", "gestion.materiel", "gestion.demarches"],
        siret=True,
    ),
    _org(
        "Rando Hautes-Alpes Découverte",
        "association",
        "benevoles",
        "05061",
        "Jacques Eyraud",
        "le club",
        "du club",
        "nos randonneurs",
        "Club de randonnée gapençais : une sortie chaque week-end, des séjours en refuge et des journées "
        "d'entretien des sentiers avec les communes voisines.",
        "Notre club organise une sortie chaque week-end et des séjours en refuge pour ses 140 membres.",
        [
            "visibilite.site_vieux",
            "gestion.adherents",
            (
                "libre.open_data",
                "Publier nos tracés de randonnée en données ouvertes",
                "Nous avons plus de 200 tracés GPS de sentiers entretenus par nos bénévoles.",
            ),
        ],
        siret=False,
    ),
    _org(
        "Foyer Rural de Cucuron",
        "association",
        "benevoles",
        "84042",
        "Nathalie Bourdin",
        "le foyer rural",
        "du foyer rural",
        "les habitants du village",
        "Foyer rural du village : yoga, poterie, fête votive, cinéma en plein air. Depuis 2024, il anime "
        "l'ancienne gare, devenue le tiers-lieu du village.",
        "Le foyer rural organise les activités de loisirs et les fêtes de Cucuron, et anime le tiers-lieu de "
        "l'ancienne gare.",
        ["tiers_lieu.existant", "visibilite.reseaux", "gestion.adherents"],
        siret=False,
    ),
    _org(
        "Ludothèque La Toupie",
        "association",
        "2_9",
        "83050",
        "Sandrine Aubert",
        "la ludothèque",
        "de la ludothèque",
        "les familles adhérentes",
        "Ludothèque associative de Draguignan : 3 000 jeux à emprunter, soirées jeux, animations dans les écoles "
        "et les maisons de retraite.",
        "Nous prêtons des jeux et animons des soirées jeux pour les familles de la Dracénie.",
        ["gestion.adherents", "visibilite.reseaux", "libre.migrer"],
        siret=True,
    ),
    _org(
        "Entraide Vésubie",
        "association",
        "10_49",
        "06127",
        "Monique Giordan",
        "l'association",
        "de l'association",
        "les personnes âgées que nous aidons",
        "Association d'aide à domicile de la haute Vésubie : courses, portage de repas et accompagnement des "
        "personnes âgées isolées, dans une vallée durement touchée par la tempête Alex en 2020.",
        "Nos vingt aides à domicile interviennent chez une centaine de personnes âgées de la haute Vésubie.",
        [
            (
                "gestion.collaboratif",
                "Un planning partagé pour nos aides à domicile",
                "Le planning des interventions change tous les jours et circule encore sur papier.",
            ),
            "securite.sauvegarde",
            "equipe.bases",
        ],
        siret=True,
    ),
    _org(
        "Chorale Les Voix du Ventoux",
        "association",
        "benevoles",
        "84017",
        "Philippe Rolland",
        "la chorale",
        "de la chorale",
        "nos choristes",
        "Chorale amateur de Bédoin : soixante choristes de tous âges, deux concerts par an et un festival de "
        "chant choral au pied du mont Ventoux chaque été.",
        "Nos soixante choristes répètent chaque mardi soir et préparent deux concerts par an.",
        ["visibilite.rien", "equipe.creation", "gestion.collaboratif"],
        siret=False,
    ),
    _org(
        "Les Amis du Patrimoine de Forcalquier",
        "association",
        "benevoles",
        "04088",
        "Bernard Latil",
        "l'association",
        "de l'association",
        "nos adhérents",
        "Association de sauvegarde du patrimoine : visites guidées de la citadelle et du couvent des Cordeliers, "
        "publications, chantiers de restauration avec des bénévoles.",
        "Nous organisons des visites guidées et des chantiers de restauration du patrimoine de Forcalquier.",
        ["libre.open_data", "visibilite.site_vieux", "equipe.creation"],
        siret=False,
    ),
    _org(
        "Association Mer et Partage",
        "association",
        "2_9",
        "13028",
        "Yves Castellan",
        "l'association",
        "de l'association",
        "nos équipiers et leurs familles",
        "Voile et sorties en mer pour les personnes en situation de handicap et les jeunes des quartiers, au "
        "départ du port de La Ciotat. Trois voiliers adaptés et quatre-vingts bénévoles skippers.",
        "Nous emmenons chaque année plus de 600 personnes en situation de handicap naviguer au départ de La Ciotat.",
        [
            (
                "visibilite.site_vieux",
                "Un site accessible pour les personnes en situation de handicap",
                "Notre propre site est difficile à utiliser avec un lecteur d'écran, un comble pour nous.",
            ),
            "gestion.adherents",
            "securite.rgpd",
        ],
        siret=True,
        website=True,
    ),
    _org(
        "Centre social Les Oliviers",
        "association",
        "10_49",
        "83126",
        "Karima Belkacem",
        "le centre social",
        "du centre social",
        "les habitants du quartier",
        "Centre social de quartier à La Seyne-sur-Mer : accueil de loisirs, accompagnement à la scolarité, "
        "permanences d'accès aux droits et ateliers pour les familles.",
        "Le centre social accueille chaque jour des familles pour les loisirs, la scolarité et l'accès aux droits.",
        ["equipe.accueil", "tiers_lieu.espace", "securite.cyber"],
        siret=True,
        website=True,
    ),
    _org(
        "Boulangerie Au Pain d'Antan",
        "commerce",
        "2_9",
        "84003",
        "Sébastien Rey",
        "la boulangerie",
        "de la boulangerie",
        "nos clients",
        "Boulangerie artisanale au levain dans le centre d'Apt : pains aux farines anciennes du Luberon, fougasses "
        "et navettes. Présente aussi au grand marché du samedi matin.",
        "Nous faisons du pain au levain et des fougasses, vendus en boutique et au marché d'Apt le samedi.",
        [
            "visibilite.reseaux",
            "gestion.compta",
            (
                "visibilite.vendre",
                "Commander son pain en ligne et le retirer à la boutique",
                "Le week-end, nos clients aimeraient réserver leurs pains spéciaux la veille.",
            ),
        ],
    ),
    _org(
        "Librairie Le Chat Qui Lit",
        "commerce",
        "2_9",
        "13001",
        "Anne-Sophie Garcin",
        "la librairie",
        "de la librairie",
        "nos lecteurs",
        "Librairie indépendante du centre d'Aix-en-Provence, spécialisée en littérature jeunesse et en bande "
        "dessinée. Rencontres d'auteurs chaque mois et club de lecture pour les adolescents.",
        "Notre librairie organise une rencontre d'auteur par mois et un club de lecture pour les adolescents.",
        ["visibilite.vendre", "visibilite.reseaux", "securite.sauvegarde"],
        website=True,
    ),
    _org(
        "Épicerie fine Les Saveurs du Comtat",
        "commerce",
        "solo",
        "84031",
        "Laurent Chabert",
        "l'épicerie",
        "de l'épicerie",
        "nos clients",
        "Épicerie fine à Carpentras : berlingots, truffes du Ventoux en saison, huiles d'olive et vins des "
        "coteaux. Beaucoup de clients de passage l'été.",
        "L'épicerie vend les produits du Comtat à une clientèle locale et, l'été, à beaucoup de touristes.",
        ["visibilite.vendre", "visibilite.rien"],
    ),
    _org(
        "Fleuriste L'Atelier des Mimosas",
        "commerce",
        "solo",
        "83019",
        "Valérie Lambert",
        "la boutique",
        "de la boutique",
        "nos clients",
        "Fleuriste à Bormes-les-Mimosas : compositions de saison, fleurs cultivées dans le Var, décoration de "
        "mariages. Livraison dans le pays de Bormes et au Lavandou.",
        "La boutique compose des bouquets avec des fleurs du Var et décore des mariages dans tout le golfe.",
        ["visibilite.rien", "visibilite.reseaux"],
        status="submitted",
    ),
    _org(
        "Vélo Durance",
        "commerce",
        "2_9",
        "04209",
        "Kévin Silvestre",
        "le magasin",
        "du magasin",
        "nos clients cyclistes",
        "Magasin et atelier de réparation de vélos à Sisteron, location de vélos à assistance électrique pour "
        "découvrir la vallée de la Durance.",
        "Nous réparons et louons des vélos, notamment électriques, aux cyclotouristes de passage à Sisteron.",
        [
            (
                "visibilite.vendre",
                "Réserver et payer la location de vélos en ligne",
                "Les réservations de location arrivent par téléphone, par SMS et par mail, et nous nous y perdons.",
            ),
            "gestion.compta",
            "securite.cyber",
        ],
    ),
    _org(
        "La Ferme en Ville",
        "commerce",
        "2_9",
        "06088",
        "Chiara Russo",
        "la boutique",
        "de la boutique",
        "nos clients",
        "Boutique de producteurs dans le quartier de la Libération à Nice : fruits et légumes de l'arrière-pays, "
        "fromages de la Roya, huile d'olive. Quinze producteurs associés.",
        "Nous vendons les produits de quinze producteurs de l'arrière-pays niçois.",
        ["visibilite.vendre", "gestion.collaboratif", "libre.sobriete"],
        website=True,
    ),
    _org(
        "Gîtes du Champsaur",
        "tpe",
        "2_9",
        "05132",
        "Christophe Bonnaffoux",
        "les gîtes",
        "des gîtes",
        "nos hôtes",
        "Trois gîtes et une chambre d'hôtes dans une ferme rénovée de Saint-Bonnet-en-Champsaur, ouverts toute "
        "l'année pour les randonneurs et les skieurs.",
        "Nous louons trois gîtes et une chambre d'hôtes, surtout l'hiver et l'été.",
        [
            "visibilite.site_vieux",
            (
                "gestion.materiel",
                "Un wifi fiable dans les trois gîtes",
                "Nos hôtes se plaignent du wifi, qui ne passe pas dans les chambres du haut.",
            ),
            "securite.rgpd",
        ],
        website=True,
    ),
    _org(
        "Escapades Provençales",
        "tpe",
        "2_9",
        "06029",
        "Patricia Ventura",
        "l'agence",
        "de l'agence",
        "nos clients",
        "Agence réceptive de Cannes : excursions, séjours de groupes et visites guidées en Provence et sur la "
        "Riviera pour une clientèle française et internationale.",
        "Notre agence organise des excursions et des séjours de groupes sur la Riviera.",
        ["securite.cyber", "securite.rgpd", "gestion.collaboratif"],
        website=True,
    ),
    _org(
        "Taxi Vallée de la Roya",
        "tpe",
        "solo",
        "06023",
        "Alain Dalmasso",
        "l'entreprise",
        "de l'entreprise",
        "nos clients et nos patients",
        "Taxi conventionné de la vallée de la Roya : transport de malades assis vers les hôpitaux de Nice, "
        "navettes pour les randonneurs vers la vallée des Merveilles.",
        "L'entreprise assure le transport de malades assis et des navettes de randonneurs dans la vallée de la Roya.",
        ["gestion.compta", "gestion.demarches"],
        status="submitted",
    ),
    _org(
        "Domaine du Mas des Cigales",
        "tpe",
        "2_9",
        "83072",
        "Isabelle Maurel",
        "le domaine",
        "du domaine",
        "nos clients et visiteurs",
        "Domaine viticole familial de 18 hectares à Lorgues, en côtes-de-provence biologique. Vente au caveau, "
        "accueil de groupes et marchés de producteurs.",
        "Nous produisons des côtes-de-provence en bio sur 18 hectares et vendons au caveau.",
        ["visibilite.vendre", "libre.sobriete", "equipe.creation"],
        website=True,
    ),
    _org(
        "Conserverie Provençale des Alpilles",
        "pme",
        "10_49",
        "13100",
        "Marc Touzet",
        "l'entreprise",
        "de l'entreprise",
        "nos salariés",
        "Conserverie de Saint-Rémy-de-Provence : tapenades, confits et légumes des Alpilles, vendus en épiceries "
        "fines en France et à l'export. Vingt-huit salariés.",
        "Nous employons 28 personnes et transformons les légumes des producteurs des Alpilles.",
        ["securite.cyber", "gestion.collaboratif", "equipe.bases", "libre.sobriete"],
        website=True,
    ),
    _org(
        "Transports Durance Logistique",
        "pme",
        "50_249",
        "84035",
        "Frédéric Galland",
        "l'entreprise",
        "de l'entreprise",
        "nos chauffeurs",
        "Transporteur routier et entrepôt frigorifique à Cavaillon, au service des expéditeurs de fruits et "
        "légumes. Quatre-vingt-cinq salariés, dont une majorité de chauffeurs.",
        "Nous transportons les fruits et légumes des expéditeurs de la région avec une soixantaine de camions.",
        ["securite.sauvegarde", "equipe.bases", "securite.rgpd"],
        website=True,
    ),
    _org(
        "Imprimerie Moderne Varoise",
        "pme",
        "10_49",
        "83023",
        "Patrick Gueirard",
        "l'imprimerie",
        "de l'imprimerie",
        "nos clients",
        "Imprimerie de Brignoles : affiches, bulletins municipaux, emballages. Quinze salariés et une démarche "
        "environnementale engagée depuis dix ans.",
        "Nous imprimons bulletins municipaux, affiches et emballages pour les communes et les entreprises du Var.",
        [
            "libre.sobriete",
            (
                "visibilite.vendre",
                "Prendre les commandes d'impression en ligne",
                "Les devis et les fichiers arrivent aujourd'hui par mail, avec beaucoup d'allers-retours.",
            ),
            "gestion.compta",
        ],
        website=True,
    ),
    _org(
        "Ébénisterie Lucciani",
        "artisan",
        "solo",
        "83061",
        "Paul Lucciani",
        "l'atelier",
        "de l'atelier",
        "nos clients",
        "Ébéniste à Fréjus : mobilier sur mesure en bois massif, restauration de meubles anciens, agencement de "
        "boutiques.",
        "L'atelier fabrique des meubles sur mesure et restaure des meubles anciens, avec un seul artisan.",
        ["visibilite.rien", "gestion.compta"],
    ),
    _org(
        "Faïencerie du Vieux Moulin",
        "artisan",
        "2_9",
        "04135",
        "Agnès Béraud",
        "la faïencerie",
        "de la faïencerie",
        "nos clients",
        "Atelier de faïence de Moustiers-Sainte-Marie qui perpétue le décor traditionnel peint à la main. Boutique "
        "à l'atelier et services de table personnalisés sur commande.",
        "Nous peignons à la main des faïences de Moustiers, vendues à l'atelier et sur commande.",
        ["visibilite.vendre", "equipe.creation", "visibilite.reseaux"],
        website=True,
    ),
    _org(
        "Savonnerie La Lavande Bleue",
        "artisan",
        "2_9",
        "04230",
        "Émilie Jourdan",
        "la savonnerie",
        "de la savonnerie",
        "nos clients",
        "Savonnerie artisanale à Valensole : savons saponifiés à froid à l'huile d'olive et à la lavande du "
        "plateau, vendus en boutique, sur les marchés et en ligne.",
        "Nous fabriquons des savons à froid avec la lavande du plateau de Valensole.",
        ["visibilite.vendre", "securite.rgpd"],
        status="submitted",
    ),
    _org(
        "Électricité Générale Martin",
        "artisan",
        "2_9",
        "84087",
        "Jérôme Martin",
        "l'entreprise",
        "de l'entreprise",
        "nos clients",
        "Entreprise d'électricité à Orange : installations neuves, rénovation, bornes de recharge et dépannage. "
        "Trois salariés et un apprenti.",
        "Nous faisons de l'installation et du dépannage électrique autour d'Orange, avec trois salariés et un "
        "apprenti.",
        [
            "gestion.compta",
            (
                "gestion.collaboratif",
                "Partager le planning des chantiers avec l'équipe",
                "Le planning des chantiers est sur un tableau blanc à l'atelier, et les gars appellent pour le "
                "connaître.",
            ),
            "securite.sauvegarde",
        ],
    ),
    _org(
        "Salon Chez Léa",
        "artisan",
        "solo",
        "06004",
        "Léa Santini",
        "le salon",
        "du salon",
        "nos clientes et clients",
        "Salon de coiffure mixte dans le vieil Antibes, ouvert du mardi au samedi, avec une clientèle fidèle de "
        "quartier.",
        "Le salon de coiffure reçoit une clientèle fidèle du vieil Antibes, du mardi au samedi.",
        ["visibilite.reseaux", "gestion.compta"],
    ),
    _org(
        "Cabinet de kinésithérapie du Port",
        "profession_liberale",
        "2_9",
        "13056",
        "Damien Marchal",
        "le cabinet",
        "du cabinet",
        "nos patients",
        "Cabinet de trois kinésithérapeutes à Martigues, dans le quartier de l'Île : rééducation, kinésithérapie "
        "respiratoire, suivi des sportifs.",
        "Nous sommes trois kinésithérapeutes et recevons une centaine de patients par semaine.",
        ["securite.rgpd", "securite.cyber", "gestion.collaboratif"],
    ),
    _org(
        "Atelier d'architecture Lumière du Sud",
        "profession_liberale",
        "solo",
        "04070",
        "Vincent Dol",
        "l'agence",
        "de l'agence",
        "nos clients",
        "Architecte à Digne-les-Bains : maisons bioclimatiques, réhabilitation du bâti ancien, accompagnement des "
        "communes pour leurs équipements publics.",
        "L'agence, tenue par un architecte seul, travaille surtout sur la réhabilitation du bâti ancien.",
        [
            (
                "securite.sauvegarde",
                "Sauvegarder vingt ans de plans et de dossiers",
                "Tous les plans et dossiers de l'agence tiennent sur un seul disque dur.",
            ),
            "libre.migrer",
            "visibilite.site_vieux",
        ],
        website=True,
    ),
    _org(
        "Cabinet infirmier des Écrins",
        "profession_liberale",
        "2_9",
        "05023",
        "Amandine Brunet",
        "le cabinet",
        "du cabinet",
        "nos patients",
        "Quatre infirmières libérales à Briançon, soins à domicile jusqu'à la vallée de la Clarée et Montgenèvre, "
        "sur des routes parfois enneigées.",
        "Nous sommes quatre infirmières libérales et faisons des tournées à domicile dans tout le Briançonnais.",
        ["gestion.collaboratif", "securite.rgpd", "securite.sauvegarde"],
    ),
    _org(
        "Claire Vidal, orthophoniste",
        "profession_liberale",
        "solo",
        "13005",
        "Claire Vidal",
        "le cabinet",
        "du cabinet",
        "nos patients et leurs parents",
        "Orthophoniste à Aubagne, spécialisée dans les troubles du langage de l'enfant. Séances au cabinet et "
        "quelques téléconsultations.",
        "Le cabinet d'orthophonie suit surtout des enfants, au cabinet et parfois en téléconsultation.",
        [
            "securite.rgpd",
            (
                "equipe.creation",
                "Créer nos propres supports de rééducation en vidéo",
                "Nous aimerions filmer de courts exercices à faire à la maison avec les parents.",
            ),
            "gestion.compta",
        ],
    ),
    _org(
        "Mairie de Simiane-la-Rotonde",
        "commune",
        "2_9",
        "04208",
        "Josiane Imbert",
        "la mairie",
        "de la mairie",
        "les habitants",
        "Village perché du pays de Forcalquier, environ 600 habitants. Une secrétaire de mairie, un agent "
        "technique et un conseil municipal très impliqué dans la vie du village.",
        "Notre village compte environ 600 habitants et la mairie fonctionne avec deux agents.",
        ["tiers_lieu.idee", "libre.open_data", "gestion.materiel"],
    ),
    _org(
        "Mairie de Saint-Véran",
        "commune",
        "2_9",
        "05157",
        "Daniel Brun",
        "la mairie",
        "de la mairie",
        "les habitants et les vacanciers",
        "Commune du Queyras, l'une des plus hautes d'Europe : 230 habitants à l'année et beaucoup plus en saison. "
        "Tourisme, agriculture de montagne et patrimoine remarquable.",
        "Notre commune de 230 habitants à l'année accueille plusieurs milliers de vacanciers en saison.",
        ["visibilite.site_vieux", "securite.sauvegarde", "tiers_lieu.espace"],
        website=True,
    ),
    _org(
        "Commune de Tourtour",
        "commune",
        "2_9",
        "83139",
        "Christine Audibert",
        "la commune",
        "de la commune",
        "les habitants",
        "Village perché du Haut-Var, environ 600 habitants. La commune veut redonner vie à l'ancienne école en y "
        "installant des services et un espace numérique.",
        "Notre commune de 600 habitants réfléchit à la reconversion de l'ancienne école.",
        [
            (
                "tiers_lieu.idee",
                "Transformer l'ancienne école en tiers-lieu",
                "L'ancienne école est vide depuis la fusion des classes avec le village voisin.",
            ),
            "equipe.accueil",
            "libre.open_data",
        ],
    ),
    _org(
        "Mairie d'Entrevaux",
        "commune",
        "2_9",
        "04076",
        "Marcel Roubaud",
        "la mairie",
        "de la mairie",
        "les habitants et les visiteurs",
        "Cité fortifiée de la vallée du Var, environ 850 habitants. La mairie gère aussi la billetterie de la "
        "citadelle.",
        "Notre mairie, qui gère aussi la billetterie de la citadelle, compte cinq agents.",
        [
            (
                "visibilite.vendre",
                "Vendre les billets de la citadelle en ligne",
                "Les visiteurs nous demandent souvent s'ils peuvent acheter leur billet à l'avance.",
            ),
            "securite.rgpd",
            "gestion.demarches",
        ],
    ),
    _org(
        "Mairie de Rosans",
        "commune",
        "2_9",
        "05126",
        "Évelyne Richaud",
        "la mairie",
        "de la mairie",
        "les habitants",
        "Village du Rosanais aux confins de la Drôme, environ 470 habitants. École, agence postale communale et "
        "un café-épicerie que la commune cherche à faire vivre.",
        "Notre commune d'environ 470 habitants gère l'école et l'agence postale communale.",
        ["tiers_lieu.idee", "libre.migrer", "equipe.bases"],
    ),
    _org(
        "Ponts de la Méditerranée",
        "ong",
        "10_49",
        "13055",
        "Youssef Amrani",
        "l'ONG",
        "de l'ONG",
        "les personnes exilées",
        "ONG marseillaise d'accueil et d'accompagnement des personnes exilées : cours de français, accès aux "
        "droits, hébergement solidaire. Des actions aussi au Maroc et en Tunisie avec des associations "
        "partenaires.",
        "Nous accompagnons chaque année près de 900 personnes exilées à Marseille.",
        ["equipe.accueil", "securite.rgpd", "securite.cyber", "gestion.collaboratif"],
        website=True,
    ),
    _org(
        "Terres Solidaires Sud",
        "ong",
        "2_9",
        "84007",
        "Aminata Diallo",
        "l'ONG",
        "de l'ONG",
        "nos donateurs",
        "ONG avignonnaise de solidarité internationale : projets d'agroécologie avec des coopératives paysannes "
        "au Sénégal et au Burkina Faso, éducation à la citoyenneté mondiale dans les collèges du Vaucluse.",
        "Nous menons des projets d'agroécologie avec des coopératives au Sénégal et au Burkina Faso.",
        [
            "gestion.collaboratif",
            (
                "gestion.adherents",
                "Suivre nos donateurs et leurs reçus fiscaux",
                "Les reçus fiscaux sont encore préparés un par un dans un traitement de texte.",
            ),
            "libre.migrer",
        ],
    ),
    _org(
        "Compagnie Théâtre du Mistral",
        "compagnie_artistique",
        "2_9",
        "13004",
        "Raphaël Soulier",
        "la compagnie",
        "de la compagnie",
        "notre public",
        "Compagnie de théâtre d'Arles : créations pour la rue et pour la salle, tournées dans les villages de "
        "Provence et au festival off d'Avignon. Deux permanents et une douzaine d'intermittents.",
        "Notre compagnie tourne une quarantaine de dates par an, souvent dans des villages.",
        ["visibilite.reseaux", "equipe.creation", "gestion.collaboratif"],
        website=True,
    ),
    _org(
        "Compagnie Les Corps Célestes",
        "compagnie_artistique",
        "2_9",
        "06069",
        "Marion Lefort",
        "la compagnie",
        "de la compagnie",
        "notre public",
        "Compagnie de danse contemporaine de Grasse : ateliers dans les écoles et les EHPAD, création en cours sur "
        "la mémoire des cueilleuses de jasmin.",
        "Notre compagnie crée des spectacles de danse et anime des ateliers dans les écoles et les EHPAD.",
        ["visibilite.site_vieux", "equipe.creation"],
        siret=False,
        status="submitted",
    ),
    _org(
        "Les Cigales Électriques",
        "compagnie_artistique",
        "2_9",
        "83137",
        "Hugo Barbier",
        "le collectif",
        "du collectif",
        "notre public",
        "Collectif musical toulonnais : concerts électroacoustiques, ciné-concerts et ateliers de musique "
        "assistée par ordinateur pour les adolescents.",
        "Notre collectif donne des ciné-concerts et anime des ateliers de musique assistée par ordinateur.",
        [
            "tiers_lieu.espace",
            (
                "visibilite.vendre",
                "Une billetterie en ligne pour nos ciné-concerts",
                "Nous vendons aujourd'hui nos places en liquide à l'entrée, sans savoir combien de personnes viendront.",
            ),
            (
                "libre.migrer",
                "Passer nos ateliers de musique sur des logiciels libres",
                "Les licences de nos logiciels audio coûtent cher et les jeunes ne peuvent pas les installer chez eux.",
            ),
        ],
        siret=False,
    ),
]


# ------------------------------------------------------------------ need wording

TITLES = {
    "visibilite.rien": [
        "Créer le premier site web {de_short}",
        "Un site simple pour présenter {short}",
        "Être enfin trouvés sur internet à {commune}",
        "Site vitrine et fiche d'établissement pour {short}",
    ],
    "visibilite.site_vieux": [
        "Refaire le site {de_short}",
        "Moderniser notre site, devenu impossible à mettre à jour",
        "Un nouveau site {de_short}, lisible sur téléphone",
        "Reprendre notre vieux site et le rendre accessible",
    ],
    "visibilite.vendre": [
        "Ouvrir la boutique en ligne {de_short}",
        "Vendre en ligne et proposer le retrait sur place à {commune}",
        "Mettre en place la vente et le paiement en ligne",
    ],
    "visibilite.reseaux": [
        "Mieux communiquer sur les réseaux sociaux",
        "Animer les réseaux sociaux {de_short} sans y passer nos soirées",
        "Faire connaître {short} sur les réseaux sociaux",
        "Un plan de publication pour nos réseaux sociaux",
    ],
    "gestion.compta": [
        "Choisir un logiciel de facturation adapté",
        "Passer à la facture électronique avant 2027",
        "Sortir du tableur pour nos devis et nos factures",
        "Prendre en main un logiciel de comptabilité",
    ],
    "gestion.collaboratif": [
        "Partager agendas et documents dans l'équipe",
        "Des outils pour travailler ensemble à distance",
        "Un espace partagé pour les documents {de_short}",
        "En finir avec les fichiers envoyés par mail en dix versions",
    ],
    "gestion.adherents": [
        "Gérer les adhésions {de_short} en ligne",
        "Un outil pour suivre nos adhérents et nos bénévoles",
        "Simplifier les inscriptions et les cotisations",
    ],
    "gestion.demarches": [
        "Être accompagnés dans nos démarches en ligne",
        "De l'aide pour les démarches administratives {de_short}",
        "Ne plus rater nos déclarations en ligne",
    ],
    "gestion.materiel": [
        "Renouveler les ordinateurs {de_short} avec du reconditionné",
        "Équiper {short} en matériel fiable",
        "Nous équiper en matériel reconditionné",
    ],
    "securite.rgpd": [
        "Mettre {short} en conformité avec le RGPD",
        "RGPD : faire le point sur nos fichiers et nos formulaires",
        "Registre RGPD et mentions d'information {de_short}",
    ],
    "securite.cyber": [
        "Sécuriser nos outils et nos comptes",
        "Nous protéger des arnaques et du piratage",
        "Sensibiliser l'équipe {de_short} à la cybersécurité",
        "Après une tentative d'arnaque, sécuriser nos comptes",
    ],
    "securite.sauvegarde": [
        "Mettre en place des sauvegardes automatiques",
        "Ne plus risquer de perdre les fichiers {de_short}",
        "Sauvegarder nos données de façon fiable",
    ],
    "libre.migrer": [
        "Passer aux logiciels libres",
        "Remplacer nos logiciels payants par des logiciels libres",
        "Passer les ordinateurs {de_short} sous Linux et LibreOffice",
    ],
    "libre.open_data": [
        "Publier nos données en open data",
        "Ouvrir et réutiliser des données publiques sur {commune}",
        "Mettre nos informations pratiques en données ouvertes",
    ],
    "libre.sobriete": [
        "Un numérique plus sobre pour {short}",
        "Réduire l'empreinte numérique {de_short}",
        "Faire durer notre matériel et alléger nos usages",
    ],
    "equipe.bases": [
        "Former l'équipe aux outils numériques de base",
        "Remettre l'équipe à niveau : messagerie, fichiers, bureautique",
        "Formation bureautique pour l'équipe {de_short}",
    ],
    "equipe.creation": [
        "Apprendre à créer nos contenus",
        "Apprendre à réaliser nos vidéos et nos visuels",
        "Formation vidéo et graphisme pour l'équipe {de_short}",
    ],
    "equipe.accueil": [
        "Former nos bénévoles à la médiation numérique",
        "Mieux accompagner {public} dans leurs démarches en ligne",
        "Ouvrir un point d'accueil numérique à {commune}",
    ],
    "tiers_lieu.idee": [
        "Créer un tiers-lieu à {commune}",
        "Étudier la création d'un tiers-lieu",
        "De l'idée au projet : un tiers-lieu pour le village",
    ],
    "tiers_lieu.existant": [
        "Mieux animer notre tiers-lieu",
        "Faire venir de nouveaux publics dans notre tiers-lieu",
        "Développer les activités de notre tiers-lieu",
    ],
    "tiers_lieu.espace": [
        "Trouver un espace ou du matériel",
        "Trouver une salle équipée pour nos ateliers",
        "Emprunter du matériel informatique pour nos ateliers",
    ],
}

DETAILS = {
    "visibilite.rien": [
        "Aujourd'hui, on nous trouve surtout par le bouche-à-oreille.",
        "Nous voudrions une page claire avec nos horaires, nos coordonnées et nos actualités, que nous saurons "
        "mettre à jour nous-mêmes.",
        "Des gens nous disent ne pas nous avoir trouvés en cherchant sur leur téléphone.",
    ],
    "visibilite.site_vieux": [
        "Notre site a été fait il y a une dizaine d'années par une personne qui n'est plus là, et plus personne ne "
        "sait le modifier.",
        "Le site s'affiche mal sur téléphone et nous payons un abonnement pour un outil que nous n'utilisons plus.",
        "Nous voudrions un site plus simple, accessible et à jour, où l'on trouve l'essentiel en un coup d'œil.",
    ],
    "visibilite.vendre": [
        "Nous voudrions permettre à {public} de commander en ligne et de payer à l'avance.",
        "Une partie des ventes se fait déjà par téléphone et par messages : il nous faut un outil plus simple pour "
        "les gérer.",
        "Nous avons besoin de conseils pour choisir entre une boutique à nous et une place de marché, sans frais "
        "cachés.",
    ],
    "visibilite.reseaux": [
        "Nous avons une page Facebook que nous alimentons au gré du temps, sans vraie régularité.",
        "Nous aimerions toucher un public plus jeune, notamment sur Instagram, et savoir quoi publier chaque semaine.",
        "Personne dans l'équipe n'est vraiment à l'aise avec les réseaux sociaux et nous manquons d'idées de "
        "publications.",
    ],
    "gestion.compta": [
        "Les devis et les factures sont faits dans un tableur et le suivi des paiements nous prend beaucoup de temps.",
        "Nous devons nous préparer à la facture électronique et ne savons pas quel outil choisir.",
        "Notre logiciel actuel coûte cher et ne correspond plus à notre activité.",
    ],
    "gestion.collaboratif": [
        "Les documents circulent par mail en plusieurs versions et nous ne savons jamais laquelle est la bonne.",
        "Une partie de l'équipe travaille à distance : il nous faut un agenda commun et un espace de documents "
        "partagés.",
        "Nous voudrions aussi faire nos réunions en visio sans dépendre d'un abonnement coûteux.",
    ],
    "gestion.adherents": [
        "Les adhésions sont suivies dans un tableur tenu par une seule personne, et cela devient compliqué.",
        "Nous voudrions proposer l'inscription et le paiement en ligne, et envoyer facilement des nouvelles à "
        "tout le monde.",
        "Il nous faudrait aussi un planning des bénévoles que chacun puisse consulter.",
    ],
    "gestion.demarches": [
        "Entre les demandes de subventions, les déclarations et les plateformes de l'État, nous perdons beaucoup "
        "de temps.",
        "Nous avons eu un retard de paiement à cause d'une démarche mal faite et voulons être plus à l'aise.",
        "Chaque plateforme a son identifiant et nous ne savons plus qui a accès à quoi.",
    ],
    "gestion.materiel": [
        "Nos ordinateurs ont plus de dix ans et deviennent très lents.",
        "Nous préférerions du matériel reconditionné, fiable et bien installé, plutôt que du neuf.",
        "Nous avons besoin d'aide pour choisir le matériel et l'installer.",
    ],
    "securite.rgpd": [
        "Nous collectons des coordonnées et parfois des informations sensibles, sans être sûrs de respecter les "
        "règles.",
        "Nous n'avons jamais tenu de registre des traitements ni vérifié nos formulaires.",
        "Nos partenaires nous demandent de plus en plus de garanties sur la protection des données.",
    ],
    "securite.cyber": [
        "Nous avons récemment reçu un faux mail de notre banque et quelqu'un a failli cliquer.",
        "Les mots de passe sont notés dans un carnet et partagés entre plusieurs personnes.",
        "Nous voulons savoir quoi faire si notre messagerie ou nos comptes sont piratés.",
    ],
    "securite.sauvegarde": [
        "Nous avons déjà perdu des fichiers quand un ordinateur est tombé en panne.",
        "Nos documents importants sont sur un seul ordinateur et sur une clé USB.",
        "Il nous faut une sauvegarde automatique qui ne dépende pas de la bonne volonté de chacun.",
    ],
    "libre.migrer": [
        "Les abonnements logiciels pèsent lourd dans notre budget et nous voulons reprendre la main sur nos données.",
        "Nous voudrions tester des logiciels libres sur un ou deux postes avant de généraliser.",
        "Nous utilisons déjà Firefox et LibreOffice par endroits, mais sans démarche d'ensemble.",
    ],
    "libre.open_data": [
        "Nous avons des informations utiles (horaires, lieux, itinéraires) qui pourraient servir à d'autres si "
        "elles étaient publiées proprement.",
        "Nous voulons aussi apprendre à utiliser les données publiques qui existent déjà sur notre territoire.",
    ],
    "libre.sobriete": [
        "Nous voulons faire durer notre matériel et réduire nos impressions, nos envois et notre stockage en ligne.",
        "Nous aimerions mesurer l'impact de nos usages et savoir par où commencer.",
    ],
    "equipe.bases": [
        "Plusieurs personnes ne sont pas à l'aise avec l'ordinateur, la messagerie et le classement des fichiers.",
        "Nous voudrions une formation pratique, en petit groupe, sur nos propres outils.",
        "Les niveaux sont très différents dans l'équipe : il faudra quelqu'un de patient.",
    ],
    "equipe.creation": [
        "Nous voulons réaliser nous-mêmes de courtes vidéos et des visuels pour présenter nos activités.",
        "Nous avons des photos et des idées, mais pas les bons outils ni la méthode.",
        "Nous aimerions produire un petit film ou un podcast pour raconter {short}.",
    ],
    "equipe.accueil": [
        "De plus en plus de personnes nous demandent de l'aide pour leurs démarches en ligne.",
        "Nos bénévoles font de leur mieux mais ne savent pas toujours jusqu'où aller, ni vers qui orienter.",
    ],
    "tiers_lieu.idee": [
        "Plusieurs habitants et associations cherchent un lieu pour travailler, se former et se retrouver.",
        "Nous avons un local disponible mais ne savons pas comment monter le projet ni le financer.",
        "Nous voudrions rencontrer des tiers-lieux voisins et être accompagnés pour les premières étapes.",
    ],
    "tiers_lieu.existant": [
        "Le lieu fonctionne, mais ce sont toujours les mêmes personnes qui viennent et qui s'investissent.",
        "Nous voulons construire une programmation régulière et trouver un modèle économique plus solide.",
    ],
    "tiers_lieu.espace": [
        "Nous cherchons une salle équipée (ordinateurs, vidéoprojecteur, bonne connexion) pour quelques séances.",
        "Nous aurions besoin de prêter du matériel à notre public le temps d'un atelier.",
    ],
}

MODALITY_SENTENCES = {
    "on_site": [
        "Nous préférons un accompagnement sur place, à {commune}.",
        "L'idéal serait que la personne vienne dans nos locaux, à {commune}.",
    ],
    "remote": [
        "Un accompagnement en visio nous convient très bien.",
        "À distance, c'est parfait : nous avons ce qu'il faut pour la visio.",
    ],
    "both": [
        "Sur place ou à distance, les deux nous conviennent.",
        "Nous sommes souples : sur place à {commune} ou en visio.",
    ],
}
FUNDING_SENTENCES = {
    "volunteer": [
        "Nous n'avons pas de budget prévu : une aide bénévole serait idéale.",
        "Nous cherchons une aide bénévole, faute de moyens pour payer une prestation.",
    ],
    "voucher": [
        "Nous comptons utiliser un chèque d'accompagnement numérique.",
        "Nous avons demandé un chèque d'accompagnement numérique pour financer l'accompagnement.",
    ],
    "paid": [
        "Nous avons prévu un budget d'environ {budget} € pour cet accompagnement.",
        "Nous pouvons payer une prestation, dans la limite de {budget} €.",
    ],
}
MOMENTS = {
    "commerce": ["le lundi, notre jour de fermeture", "plutôt le matin avant l'ouverture", "en début d'après-midi"],
    "artisan": ["le lundi, notre jour de fermeture", "en fin de journée", "le vendredi après-midi"],
    "default": [
        "plutôt le matin",
        "de préférence en fin de journée",
        "en semaine, hors vacances scolaires",
        "le mardi ou le jeudi",
        "plutôt en début d'après-midi",
    ],
    "association": [
        "en soirée, quand les bénévoles sont libres",
        "le samedi matin",
        "en semaine, hors vacances scolaires",
        "le mercredi après-midi",
    ],
}
FORMAT_WEIGHTS = {"sur_place": 5, "indifferent": 3, "distance": 2}
FUNDING_WEIGHTS = {
    "non_profit": {"benevole": 55, "cheque": 35, "payant": 10},
    "business": {"benevole": 20, "cheque": 45, "payant": 35},
    "pme": {"benevole": 10, "cheque": 30, "payant": 60},
}
BUDGETS = {
    "solo": [200, 300, 500],
    "benevoles": [150, 200, 300],
    "2_9": [300, 500, 800, 1200],
    "10_49": [800, 1200, 2000, 3000],
    "50_249": [2000, 3000, 5000],
}
NON_PROFIT = {"association", "ong", "commune", "compagnie_artistique"}
CANCEL_REASONS = [
    "Nous avons finalement trouvé une solution en interne.",
    "Le projet est reporté à l'an prochain, faute de budget.",
]
CLOSE_REASONS = [
    "Un bénévole de l'association s'en est chargé entre-temps.",
    "Besoin couvert par l'accompagnement de la communauté de communes.",
]


# ------------------------------------------------------------------ helpers


def make_siret(rng: random.Random, used: set[str]) -> str:
    """A SIRET that passes the Luhn checks of python-stdnum (SIREN and SIRET), unique in `used`."""
    while True:
        head = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        siren = head + luhn.calc_check_digit(head)
        if siren == "356000000":  # La Poste has its own rule
            continue
        body = siren + f"{rng.randint(1, 99):04d}"
        siret = body + luhn.calc_check_digit(body)
        if siret not in used:
            used.add(siret)
            return siret


def _phone(rng: random.Random, mobile: bool = False) -> str:
    # ARCEP ranges reserved for fiction, so no real line is ever called.
    prefix = "06 39 98" if mobile else "04 65 71"
    return f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:50]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _check_communes(codes: set[str]) -> dict:
    from app.territory.models import Commune

    found = {c.insee: c for c in db.session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    missing = sorted(codes - found.keys())
    if missing:
        raise RuntimeError(f"demo: communes {missing} are not loaded; run `flask hub load-communes` first")
    outside = sorted(c.insee for c in found.values() if c.region_code != REGION_SUD)
    if outside:
        raise RuntimeError(f"demo: communes {outside} are outside the Région Sud")
    return found


# ------------------------------------------------------------------ the loader


def load_demo(password: str = DEMO_PASSWORD) -> dict:
    """Load the Région Sud demo data; flush, never commit. Returns counts by kind."""
    from app.accounts.services import get_user_by_email, hash_password
    from app.core.models import PublicationStatus as PS
    from app.core.models import utcnow
    from app.directory.services import (
        create_offer,
        create_organisation,
        create_provider,
        move_offer,
        move_organisation,
        move_provider,
    )
    from app.needs.boussole import load_tree, walk
    from app.needs.models import NeedStatus as NS
    from app.needs.services import create_need, move_need

    if get_user_by_email(ADMIN_EMAIL) is not None:
        raise RuntimeError("demo: the demo data is already loaded")
    rng = random.Random(SEED)
    communes = _check_communes({p["commune_insee"] for p in PROVIDERS} | {o["commune_insee"] for o in ORGANISATIONS})
    tree = load_tree()
    password_hash = hash_password(password)  # once: argon2 costs ~50 ms per hash
    now = utcnow()
    sirets: set[str] = set()
    users: list[User] = []

    def user(email: str, full_name: str, intent: str = "organisation", staff: bool = False, admin: bool = False):
        account = User(
            email=email,
            password_hash=password_hash,
            full_name=full_name,
            intent=intent,
            locale="fr",
            email_confirmed_at=now,
            is_staff=staff,
            is_admin=admin,
        )
        db.session.add(account)
        users.append(account)
        return account

    user(ADMIN_EMAIL, "Élodie Garnier", staff=True, admin=True)
    moderator = user(STAFF_EMAIL, "Yannick Bertrand", staff=True)
    db.session.flush()

    # Providers and their offers.
    n_offers = 0
    for index, spec in enumerate(PROVIDERS):
        email = PROVIDER_EMAIL if index == 0 else f"contact+presta{index}@{DEMO_DOMAIN}"
        owner = user(email, spec["person"], intent="provider")
        values = {
            k: spec[k]
            for k in ("name", "kind", "commune_insee", "radius_km", "remote_capable", "languages", "presentation")
        }
        values["contact_email"] = email
        values["siret"] = make_siret(rng, sirets) if spec["siret"] else None
        values["website"] = f"https://{_slug(spec['name'])}.{DEMO_DOMAIN}" if spec["website"] else ""
        provider = create_provider(owner, values)
        if spec["status"] == "published":
            move_provider(moderator, provider, PS.PUBLISHED)
        for o in spec["offers"]:
            offer_values = {
                k: o[k]
                for k in (
                    "title",
                    "description",
                    "category",
                    "skills",
                    "modality",
                    "duration_hours",
                    "capacity_per_month",
                    "price_mode",
                    "price_cents",
                )
            }
            offer_values["available_from"] = rng.choice([None, date(2026, 11, 2), date(2026, 12, 1), date(2027, 1, 4)])
            offer_values["available_until"] = rng.choice([None, date(2027, 6, 30), date(2027, 7, 31)])
            offer = create_offer(owner, provider, offer_values, submit=o["status"] != "draft")
            if o["status"] == "published":
                move_offer(moderator, offer, PS.PUBLISHED)
                offer.published_at = now - timedelta(days=rng.randint(3, 120), hours=rng.randint(0, 23))
            elif o["status"] == "rejected":
                move_offer(moderator, offer, PS.REJECTED, reason=o["reason"])
            n_offers += 1

    # Organisations and their needs.
    n_needs = 0
    used_titles: set[str] = set()
    for index, spec in enumerate(ORGANISATIONS):
        email = ORGANISATION_EMAIL if index == 0 else f"contact+org{index}@{DEMO_DOMAIN}"
        owner = user(email, spec["person"], intent="organisation")
        commune = communes[spec["commune_insee"]]
        phone = _phone(rng, mobile=spec["size"] == "solo" or spec["kind"] in ("artisan", "association"))
        org = create_organisation(
            owner,
            {
                "name": spec["name"],
                "kind": spec["kind"],
                "size": spec["size"],
                "commune_insee": commune.insee,
                "description": spec["description"],
                "contact_email": email,
                "contact_phone": phone,
                "website": f"https://{_slug(spec['name'])}.{DEMO_DOMAIN}" if spec["website"] else "",
                "siret": make_siret(rng, sirets) if spec["siret"] else None,
            },
        )
        published = spec["status"] == "published"
        if published:
            move_organisation(moderator, org, PS.PUBLISHED)

        words = {
            "short": spec["short"],
            "de_short": spec["de_short"],
            "public": spec["public"],
            "commune": commune.name,
        }
        funding_weights = FUNDING_WEIGHTS[
            "non_profit" if spec["kind"] in NON_PROFIT else "pme" if spec["kind"] == "pme" else "business"
        ]
        moments = MOMENTS.get(spec["kind"], MOMENTS["default"])
        for position, topic in enumerate(spec["topics"]):
            topic, custom_title, custom_detail = (topic, None, None) if isinstance(topic, str) else topic
            goal, choice = topic.split(".")
            answers = [goal, choice, _weighted(rng, FORMAT_WEIGHTS), _weighted(rng, funding_weights)]
            outcome = walk(tree, answers)
            if custom_title:
                title = custom_title
            else:
                candidates = [_cap(t.format(**words)) for t in TITLES[topic]]
                title = rng.choice([t for t in candidates if t not in used_titles] or candidates)
            used_titles.add(title)
            details = rng.sample(DETAILS[topic], k=min(2, len(DETAILS[topic])))
            if custom_detail:
                details = [custom_detail] + details[:1]
            budget = f"{rng.choice(BUDGETS[spec['size']]):,}".replace(",", "\u00a0")  # "1 500"
            sentences = [
                spec["activity"],
                outcome.description,
                *details,
                rng.choice(MODALITY_SENTENCES[outcome.modality]),
                rng.choice(FUNDING_SENTENCES[outcome.funding]),
                f"Nous sommes disponibles {rng.choice(moments)}.",
            ]
            description = " ".join(s.format(**words, budget=budget) for s in sentences if s)
            start = WINDOW_FIRST + timedelta(days=rng.randint(0, 150))
            end = min(start + timedelta(days=rng.randint(21, 90)), WINDOW_LAST)

            # Mostly open; some drafts; a few cancelled or closed (owner moves the state machine allows).
            if not published:
                fate = "draft"
            elif index == 0:
                fate = "draft" if position == len(spec["topics"]) - 1 else "open"
            else:
                fate = _weighted(rng, {"open": 84, "draft": 10, "cancelled": 3, "closed": 3})
            need = create_need(
                owner,
                org,
                {
                    "title": title,
                    "description": description,
                    "categories": list(outcome.categories),
                    "skills": list(outcome.skills),
                    "commune_insee": commune.insee,
                    "modality": outcome.modality,
                    "window_start": start,
                    "window_end": end,
                    "funding_mode": outcome.funding,
                    "contact_name": spec["person"],
                    "contact_email": email,
                    "contact_phone": phone,
                },
                answers=answers,
                publish=fate != "draft",
            )
            need.created_at = now - timedelta(days=rng.randint(1, 75), hours=rng.randint(0, 23))
            if need.opened_at is not None:
                need.opened_at = need.created_at + timedelta(minutes=rng.randint(5, 600))
            if fate == "cancelled":
                move_need(owner, need, NS.CANCELLED, reason=rng.choice(CANCEL_REASONS))
            elif fate == "closed":
                move_need(owner, need, NS.CLOSED, reason=rng.choice(CLOSE_REASONS))
            n_needs += 1

    db.session.flush()
    from app.demo_extras import load_demo_extras

    extras = load_demo_extras(moderator, password_hash, now)
    return {
        "utilisateurs": len(users) + 2,
        "structures": len(ORGANISATIONS),
        "prestataires": len(PROVIDERS),
        "offres": n_offers,
        "besoins": n_needs,
        **extras,
    }
