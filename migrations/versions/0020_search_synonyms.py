"""search synonyms: the table of synonyms and abbreviations hub staff edit (`synonym_group`, one row per
group, its phrases one per line) and its state (`synonym_state`: a stamp renewed by every change, the last
edit), seeded with the table shipped in app/searching/synonyms.yaml (issue 14)

The seed is a frozen copy of that file as it was when this migration was written (a migration never
reads today's code or data): later edits of the file reach a database through the staff page ("replace
from YAML") or `flask hub synonyms load`, never by running this again.

Revision ID: 0020
Revises: 0019
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# Each group: its phrases, separated by " | " (checked by app.searching.synonyms when written).
SEED = (
    "site web | site internet",
    "site vitrine | site de présentation",
    "e-commerce | commerce en ligne | vente en ligne | boutique en ligne | site marchand",
    "place de marché | marketplace",
    "référencement | référencement naturel | seo",
    "référencement payant | sea",
    "hébergement web | hébergement de site | hébergeur",
    "wordpress | wp",
    "cms | gestionnaire de contenu",
    "ux | expérience utilisateur",
    "accessibilité numérique | accessibilité web | rgaa",
    "responsive | responsive design | adapté au mobile",
    "internet | web",
    "navigateur | navigateur web | navigateur internet | browser",
    "newsletter | lettre d'information | lettre d'info | infolettre",
    "mail | courriel | e-mail | email | mél | messagerie | courrier électronique",
    "adresse mail | adresse électronique | adresse e-mail | adresse courriel",
    "cm | community manager | community management | gestion des réseaux sociaux | réseaux sociaux",
    "réseaux sociaux | médias sociaux",
    "insta | instagram | ig",
    "fb | facebook",
    "visio | visioconférence | visioconf | vidéoconférence | réunion en ligne",
    "webinaire | webinar | séminaire en ligne | conférence en ligne",
    "podcast | balado | baladodiffusion",
    "sms | texto",
    "communication digitale | communication numérique | communication en ligne",
    "marketing digital | marketing numérique | webmarketing | web marketing",
    "digital | numérique",
    "transformation numérique | transition numérique | transformation digitale",
    "pao | publication assistée par ordinateur",
    "graphisme | design graphique | conception graphique",
    "charte graphique | identité visuelle",
    "qr code | qrcode | code qr",
    "ordi | ordinateur | pc",
    "ordinateur portable | ordi portable | pc portable | laptop",
    "smartphone | téléphone | téléphone portable | téléphone mobile | portable",
    "tablette | tablette tactile | ipad",
    "clé usb | clef usb",
    "wifi | wi-fi | internet sans fil",
    "box internet | box adsl | box fibre",
    "fibre | fibre optique | très haut débit | thd",
    "appli | application | app | application mobile",
    "logiciel libre | open source | opensource | code source ouvert",
    "traitement de texte | word",
    "tableur | feuille de calcul | excel",
    "diaporama | powerpoint | slides",
    "bureautique | suite bureautique",
    "cloud | informatique en nuage | stockage en ligne | nuage",
    "sauvegarde | backup",
    "dépannage informatique | réparation informatique | maintenance informatique | assistance informatique",
    "matériel reconditionné | ordinateur reconditionné | reconditionné",
    "mot de passe | mdp | password",
    "double authentification | authentification à deux facteurs | 2fa | a2f",
    "cybersécurité | cyber-sécurité | sécurité informatique | sécurité numérique",
    "hameçonnage | phishing | filoutage",
    "arnaque en ligne | escroquerie en ligne | cyberarnaque",
    "cyberharcèlement | harcèlement en ligne",
    "rgpd | gdpr | données personnelles | protection des données",
    "open data | données ouvertes",
    "data | données",
    "bdd | base de données",
    "ia | intelligence artificielle",
    "fake news | infox | fausse information | désinformation",
    "sobriété numérique | numérique responsable | green it",
    "médiation numérique | accompagnement numérique | accompagnement au numérique",
    "inclusion numérique | e-inclusion",
    "illectronisme | illettrisme numérique",
    "fracture numérique | exclusion numérique",
    "conseiller numérique | conseiller numérique france services | cnfs",
    "france services | maison france services | msap",
    "pass numérique | aptic | chèque aptic",
    "compétences numériques | littératie numérique",
    "epn | espace public numérique",
    "tiers-lieu | tiers lieu",
    "fablab | fab lab",
    "coworking | espace de coworking | cotravail",
    "tutoriel | tuto",
    "e-learning | elearning | formation en ligne | formation à distance",
    "cours | formation",
    "débutant | premiers pas | initiation | novice",
    "faq | foire aux questions | questions fréquentes",
    "démarches en ligne | démarches dématérialisées | e-administration | téléprocédure",
    "dématérialisation | zéro papier",
    "impôts | impôt sur le revenu | déclaration de revenus | déclaration d'impôts",
    "caf | allocations familiales | caisse d'allocations familiales",
    "ameli | assurance maladie | cpam | sécu",
    "carte vitale | carte de sécu",
    "mon espace santé | dossier médical partagé | dmp",
    "téléconsultation | consultation en ligne | consultation à distance",
    "e-santé | santé numérique | télésanté",
    "pôle emploi | france travail",
    "cv | curriculum vitae",
    "lettre de motivation | lettre de candidature",
    "rsa | revenu de solidarité active",
    "apl | aide au logement | aide personnalisée au logement",
    "franceconnect | france connect",
    "rdv | rendez-vous | rendez vous",
    "ent | espace numérique de travail",
    "facture électronique | facturation électronique | e-facture | e-facturation",
    "seniors | aînés | personnes âgées | retraités | troisième âge",
    "jeunes | jeunesse",
    "ado | adolescent",
    "demandeur d'emploi | chômeur | chercheur d'emploi",
    "allophone | non-francophone | non francophone",
    "fle | français langue étrangère",
    "handicap | situation de handicap | personne handicapée",
    "asso | association | association loi 1901 | loi 1901",
    "ess | économie sociale et solidaire",
    "tpe | très petite entreprise",
    "pme | petite et moyenne entreprise",
    "auto-entrepreneur | autoentrepreneur | micro-entrepreneur | microentrepreneur | micro-entreprise",
    "freelance | free-lance | indépendant | travailleur indépendant",
    "collectivité | collectivité territoriale | collectivité locale",
    "mairie | hôtel de ville",
    "intercommunalité | epci | communauté de communes | communauté d'agglomération",
    "région sud | paca | provence-alpes-côte d'azur",
    "ccas | centre communal d'action sociale",
    "médiathèque | bibliothèque",
    "compta | comptabilité",
    "crm | relation client | grc",
)


def upgrade():
    group = op.create_table(
        "synonym_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phrases", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_synonym_group_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_group")),
    )
    state = op.create_table(
        "synonym_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_synonym_state_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_state")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(group, [{"phrases": "\n".join(g.split(" | ")), "updated_at": now} for g in SEED])
    op.bulk_insert(state, [{"id": 1, "stamp": uuid.uuid4().hex, "updated_at": now}])


def downgrade():
    op.drop_table("synonym_state")
    op.drop_table("synonym_group")
