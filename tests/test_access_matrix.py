"""Every route, visited as each kind of person, answers what its declaration says.

A route missing from EXPECTED fails `test_every_route_is_in_the_matrix`: adding a
route means deciding here who may use it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.services import create_api_token
from app.charter import text
from app.core.access import Access, declared_access
from app.searching.models import SynonymGroup
from tests.charter.charter_text_helpers import charter_text_world
from tests.conftest import login, page_text
from tests.library.library_helpers import library_world
from tests.vouchers.vouchers_helpers import vouchers_world

# Who may use each route is decided by code, not by the database: the SQLite pass proves it; the PostgreSQL pass
# sweeps every route over HTTP for 500s (tests/attack/test_attack_routes.py).
pytestmark = pytest.mark.one_pass("sqlite")

PERSONAS = ("anon", "org", "provider", "staff")
LOGIN = 302  # redirect to the login page

# Codes by persona for each kind of declaration, before exceptions.
BY_ACCESS = {
    Access.PUBLIC: dict(anon=200, org=200, provider=200, staff=200),
    Access.LOGIN: dict(anon=LOGIN, org=200, provider=200, staff=200),
    Access.ORG_MEMBER: dict(anon=LOGIN, org=200, provider=403, staff=200),
    Access.PROVIDER_MEMBER: dict(anon=LOGIN, org=403, provider=200, staff=200),
    Access.FUNDER: dict(anon=LOGIN, org=403, provider=403, staff=200),
    Access.COMMITTEE: dict(anon=LOGIN, org=403, provider=403, staff=200),  # staff sit on the committee
    Access.STAFF: dict(anon=LOGIN, org=403, provider=403, staff=200),
    Access.API_PUBLIC: dict(anon=200, org=200, provider=200, staff=200),
    # The session cookie is never enough for the API: a bearer token is.
    Access.API_TOKEN: dict(anon=401, org=401, provider=401, staff=401),
}

# (method, endpoint) -> (url template, exceptions to BY_ACCESS)
EXPECTED = {
    ("GET", "home.index"): ("/", {}),
    ("POST", "core.set_language"): ("/langue", {"*": 400}),  # no CSRF token in this probe
    ("GET", "core.health"): ("/sante", {}),
    # The legal pages (issue 18): public, with their history; editing is staff's; the acceptance of new
    # terms sends back whoever has nothing to accept.
    ("GET", "legal.notice"): ("/mentions-legales", {}),
    ("GET", "legal.terms"): ("/conditions-utilisation", {}),
    ("GET", "legal.accessibility"): ("/accessibilite", {}),
    ("GET", "legal.history"): ("/pages-legales/conditions-utilisation/versions", {}),
    ("GET", "legal.version_detail"): ("/pages-legales/conditions-utilisation/versions/1", {}),
    ("GET", "legal.edit"): ("/pages-legales/conditions-utilisation/modifier", {}),
    ("POST", "legal.edit"): ("/pages-legales/conditions-utilisation/modifier", {}),
    ("GET", "legal.accept_terms"): ("/conditions-utilisation/accepter", {"org": 302, "provider": 302, "staff": 302}),
    ("POST", "legal.accept_terms"): ("/conditions-utilisation/accepter", {}),
    ("GET", "accounts.signup"): ("/inscription", {"org": 302, "provider": 302, "staff": 302}),
    ("POST", "accounts.signup"): ("/inscription", {"*": 400}),
    ("GET", "accounts.confirm"): ("/confirmer/jeton-invalide", {"*": 400}),
    ("GET", "accounts.resend_confirmation"): ("/confirmer", {}),
    ("POST", "accounts.resend_confirmation"): ("/confirmer", {"*": 400}),
    ("GET", "accounts.login"): ("/connexion", {"org": 302, "provider": 302, "staff": 302}),
    ("POST", "accounts.login"): ("/connexion", {"*": 400}),
    ("POST", "accounts.logout"): ("/deconnexion", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "accounts.forgot_password"): ("/mot-de-passe/oublie", {}),
    ("POST", "accounts.forgot_password"): ("/mot-de-passe/oublie", {"*": 400}),
    ("GET", "accounts.reset_password"): ("/mot-de-passe/nouveau/jeton-invalide", {"*": 400}),
    ("POST", "accounts.reset_password"): ("/mot-de-passe/nouveau/jeton-invalide", {"*": 400}),
    ("GET", "accounts.dashboard"): ("/espace", {}),
    ("GET", "accounts.settings"): ("/espace/parametres", {}),
    ("POST", "accounts.settings"): ("/espace/parametres", {"org": 400, "provider": 400, "staff": 400}),
    ("POST", "accounts.funder_wish"): ("/espace/financeur", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "erasure.delete_account"): ("/compte/suppression", {}),
    ("POST", "erasure.delete_account"): ("/compte/suppression", {"org": 400, "provider": 400, "staff": 400}),
    ("POST", "erasure.cancel"): ("/compte/suppression/annuler", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "erasure.cancel_by_link"): ("/compte/suppression/annuler/jeton-invalide", {"*": 400}),
    ("POST", "erasure.cancel_by_link"): ("/compte/suppression/annuler/jeton-invalide", {"*": 400}),
    # Personal data (issue 18): the policy is public; "Mes données" is each account's; no valid link here.
    ("GET", "privacy.policy"): ("/confidentialite", {}),
    ("GET", "privacy.data"): ("/compte/donnees", {}),
    ("POST", "privacy.export"): ("/compte/donnees/export", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "privacy.download"): (
        "/compte/donnees/telecharger/lien-invalide",
        {"org": 404, "provider": 404, "staff": 404},
    ),
    ("GET", "privacy.staff_export"): ("/moderation/donnees", {}),
    ("POST", "privacy.staff_export"): ("/moderation/donnees", {"staff": 400}),
    ("POST", "accounts.create_token"): ("/espace/jeton", {"org": 400, "provider": 400, "staff": 400}),
    ("POST", "accounts.revoke_token"): ("/espace/jeton/revoquer", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "territory.communes"): ("/communes?q=mars", {}),
    ("GET", "directory.catalogue"): ("/catalogue", {"*": 301}),  # the catalogue is the search page now
    ("GET", "searching.search_page"): ("/recherche?q=site", {}),
    ("GET", "searching.suggestions"): ("/recherche/suggestions?q=si", {}),
    ("GET", "searching.api_search"): ("/api/v1/search?q=site", {}),
    ("GET", "directory.offer_detail"): ("/offres/{offer}", {}),
    ("GET", "directory.providers"): ("/prestataires", {}),
    # Open data: the files are not generated in this probe (404 for everyone); generating them is staff's.
    ("GET", "opendata.datasets"): ("/donnees", {}),
    ("GET", "opendata.download"): ("/donnees/lieux-mediation-numerique.csv", {"*": 404}),
    ("POST", "opendata.generate"): ("/donnees/generer", {}),
    ("GET", "opendata.sitemap"): ("/sitemap.xml", {}),
    ("GET", "opendata.sitemap_page"): ("/sitemap-1.xml", {}),
    ("GET", "opendata.robots"): ("/robots.txt", {}),
    ("GET", "opendata.widget"): ("/widget?departement=13", {}),  # the one page other sites may frame
    ("GET", "opendata.widget_snippet"): ("/donnees/widget", {}),  # staff and partners (funders)
    # Imports as invitations: staff only; no place {999999} nor claim token here.
    ("GET", "opendata.places_import"): ("/donnees/imports", {}),
    ("POST", "opendata.places_import"): ("/donnees/imports", {}),
    ("GET", "opendata.import_report"): ("/donnees/imports/999999", {"staff": 404}),
    ("GET", "opendata.import_progress"): ("/donnees/imports/999999/etat", {"staff": 404}),
    ("POST", "opendata.place_merge"): ("/donnees/lieux/999999/fusion", {}),
    ("POST", "opendata.place_claim_decision"): ("/donnees/lieux/999999/revendication", {}),
    ("GET", "opendata.claim"): ("/lieux/revendiquer/jeton-inconnu", {"org": 404, "provider": 404, "staff": 404}),
    ("POST", "opendata.claim"): ("/lieux/revendiquer/jeton-inconnu", {}),
    ("GET", "directory.provider_detail"): ("/prestataires/{provider}", {}),
    ("GET", "directory.organisation_new"): ("/structure/nouvelle", {}),
    ("POST", "directory.organisation_new"): ("/structure/nouvelle", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "directory.organisation_edit"): ("/structure/{org}/modifier", {}),
    ("POST", "directory.organisation_edit"): ("/structure/{org}/modifier", {"org": 400, "staff": 400}),
    ("GET", "directory.provider_new"): ("/prestataire/nouveau", {}),
    ("POST", "directory.provider_new"): ("/prestataire/nouveau", {"org": 400, "provider": 400, "staff": 400}),
    ("GET", "directory.provider_edit"): ("/prestataire/{provider}/modifier", {}),
    ("POST", "directory.provider_edit"): ("/prestataire/{provider}/modifier", {"provider": 400, "staff": 400}),
    ("GET", "directory.offer_new"): ("/prestataire/{provider}/offres/nouvelle", {}),
    ("POST", "directory.offer_new"): ("/prestataire/{provider}/offres/nouvelle", {"provider": 400, "staff": 400}),
    ("GET", "directory.offer_edit"): ("/offres/{offer}/modifier", {}),
    ("POST", "directory.offer_edit"): ("/offres/{offer}/modifier", {"provider": 400, "staff": 400}),
    ("POST", "directory.offer_status"): ("/offres/{offer}/statut", {"provider": 400, "staff": 400}),
    ("GET", "needs.boussole_step"): ("/besoins/boussole", {}),
    ("GET", "needs.new"): ("/besoins/nouveau", {"staff": 302}),  # staff without an organisation: declare one first
    ("POST", "needs.new"): ("/besoins/nouveau", {"org": 400, "staff": 400}),
    ("GET", "needs.detail"): ("/besoins/{need}", {}),
    ("GET", "needs.edit"): ("/besoins/{need}/modifier", {}),
    ("POST", "needs.edit"): ("/besoins/{need}/modifier", {"org": 400, "staff": 400}),
    ("POST", "needs.status"): ("/besoins/{need}/statut", {"org": 400, "staff": 400}),
    ("GET", "matches.runs"): ("/mise-en-relation/", {}),
    ("POST", "matches.runs"): ("/mise-en-relation/", {"staff": 400}),
    ("GET", "matches.run_detail"): ("/mise-en-relation/runs/{run}", {}),
    ("GET", "matches.run_progress"): ("/mise-en-relation/runs/{run}/progression", {}),
    ("POST", "matches.bulk_approve"): ("/mise-en-relation/runs/{run}/approuver", {"staff": 400}),
    ("POST", "matches.restart_run"): ("/mise-en-relation/runs/{run}/relancer", {"staff": 400}),
    ("GET", "matches.proposal_detail"): ("/mise-en-relation/propositions/{proposal}", {}),
    # staff: this probe's offer is not one of the proposal's alternatives
    ("GET", "matches.replace_confirm"): ("/mise-en-relation/propositions/{proposal}/remplacer/999999", {"staff": 404}),
    ("POST", "matches.decide"): ("/mise-en-relation/propositions/{proposal}", {"staff": 400}),
    ("GET", "matches.provider_proposals"): ("/missions/propositions", {}),
    ("POST", "matches.respond"): ("/missions/propositions/{proposal}", {"provider": 400, "staff": 400}),
    ("GET", "matches.missions"): ("/missions/", {}),
    ("GET", "matches.mission_detail"): ("/missions/{mission}", {}),
    ("POST", "matches.mission_action"): ("/missions/{mission}/action", {"org": 400, "provider": 400, "staff": 400}),
    ("POST", "matches.mission_feedback"): ("/missions/{mission}/avis", {"org": 400, "provider": 400, "staff": 400}),
    # Asking for an offer: the provider is refused its own offer; staff (no organisation) are sent to create one.
    ("GET", "matches.offer_request"): ("/offres/{offer}/demander", {"provider": 403, "staff": 302}),
    ("POST", "matches.offer_request"): ("/offres/{offer}/demander", {}),
    ("POST", "matches.offer_request_link"): ("/offres/{offer}/demander/besoin", {}),
    ("GET", "matches.request_detail"): ("/demandes/{request}", {}),
    ("GET", "staff.queue"): ("/moderation/", {}),
    ("POST", "staff.decide"): ("/moderation/offre/{offer}", {"staff": 400}),
    ("POST", "staff.decide_change"): ("/moderation/modification/1", {"staff": 400}),
    ("GET", "staff.needs"): ("/moderation/besoins", {}),
    ("GET", "staff.organisations"): ("/moderation/structures", {}),
    ("GET", "staff.mails"): ("/moderation/courriels", {}),
    ("GET", "searching.synonyms"): ("/moderation/recherche/synonymes", {}),
    ("POST", "searching.synonym_add"): ("/moderation/recherche/synonymes", {}),
    ("GET", "searching.synonyms_yaml"): ("/moderation/recherche/synonymes.yaml", {}),
    ("POST", "searching.synonyms_replace"): ("/moderation/recherche/synonymes/remplacer", {}),
    ("GET", "searching.synonym_edit"): ("/moderation/recherche/synonymes/{syn_group}/modifier", {}),
    ("POST", "searching.synonym_edit"): ("/moderation/recherche/synonymes/{syn_group}/modifier", {}),
    ("POST", "searching.synonym_delete"): ("/moderation/recherche/synonymes/{syn_group}/supprimer", {}),
    # Knowledge base: "provider" is a member of the producer of {lib_resource} and {lib_paid}; "org" holds
    # the licence {lib_grant} on {lib_paid} and has no producer space.
    ("GET", "library.browse"): ("/bibliotheque/", {}),
    ("GET", "library.resolve"): ("/r/{lib_resource}", {}),
    ("GET", "library.export_csv"): ("/bibliotheque/export.csv", {}),
    ("GET", "library.export_json"): ("/bibliotheque/export.json", {}),
    ("GET", "library.resource_new"): ("/bibliotheque/ressources/nouvelle", {"org": 302}),  # to the producer form
    ("POST", "library.resource_new"): ("/bibliotheque/ressources/nouvelle", {}),
    ("GET", "library.resource_edit"): ("/r/{lib_resource}/modifier", {"org": 404}),
    ("POST", "library.resource_edit"): ("/r/{lib_resource}/modifier", {}),
    ("POST", "library.resource_status"): ("/r/{lib_resource}/statut", {}),
    ("POST", "library.file_add"): ("/r/{lib_resource}/fichiers", {}),
    ("POST", "library.file_version_add"): ("/r/{lib_resource}/fichiers/{lib_file}/version", {}),
    ("POST", "library.file_remove"): ("/r/{lib_resource}/fichiers/{lib_file}/retirer", {}),
    ("GET", "library.download"): ("/r/{lib_paid}/fichiers/{lib_paid_file}", {"anon": LOGIN}),  # paid: a grant
    ("GET", "library.report"): ("/r/{lib_resource}/signaler", {}),
    ("POST", "library.report"): ("/r/{lib_resource}/signaler", {}),
    ("GET", "library.moderation"): ("/bibliotheque/moderation", {}),
    ("POST", "library.report_decide"): ("/bibliotheque/moderation/signalements/{lib_report}", {"staff": 400}),
    ("POST", "library.merge"): ("/bibliotheque/moderation/fusion", {"staff": 400}),
    ("GET", "library.licences"): ("/r/{lib_paid}/licences", {"org": 404}),
    ("POST", "library.licences"): ("/r/{lib_paid}/licences", {}),
    ("POST", "library.licence_offer_status"): ("/r/{lib_paid}/licences/{lib_offer}/statut", {}),
    ("POST", "library.licence_give"): ("/r/{lib_paid}/licences/attribuer", {}),
    ("POST", "library.licence_revoke"): ("/bibliotheque/licences/{lib_grant}/revoquer", {}),
    ("GET", "library.my_licences"): ("/bibliotheque/mes-licences", {}),
    ("GET", "library.buy"): ("/r/{lib_paid}/licences/{lib_offer}/acheter", {}),  # creates nothing at Stripe
    ("POST", "library.buy_card"): ("/r/{lib_paid}/licences/{lib_offer}/acheter/carte", {}),
    ("POST", "library.buy_confirm"): ("/r/{lib_paid}/licences/{lib_offer}/acheter", {}),
    ("GET", "library.buy_state"): ("/r/{lib_paid}/licences/{lib_offer}/acheter/etat", {}),
    ("POST", "library.licence_refund"): ("/bibliotheque/licences/{lib_grant}/rembourser", {}),
    ("GET", "library.certificate"): ("/bibliotheque/licences/{lib_grant}/certificat.pdf", {}),
    ("GET", "library.producers"): ("/bibliotheque/producteurs", {}),
    ("GET", "library.producer_detail"): ("/bibliotheque/producteurs/{lib_producer}", {}),
    ("GET", "library.producer_new"): ("/bibliotheque/producteurs/nouveau", {}),
    ("POST", "library.producer_new"): ("/bibliotheque/producteurs/nouveau", {}),
    ("GET", "library.producer_edit"): ("/bibliotheque/producteurs/{lib_producer}/modifier", {"org": 404}),
    ("POST", "library.producer_edit"): ("/bibliotheque/producteurs/{lib_producer}/modifier", {}),
    ("GET", "library.producer_space"): ("/bibliotheque/producteurs/{lib_producer}/espace", {"org": 404}),
    ("POST", "library.producer_member_add"): ("/bibliotheque/producteurs/{lib_producer}/membres", {}),
    ("GET", "library.producer_import"): ("/bibliotheque/producteurs/{lib_producer}/import", {"org": 404}),
    ("POST", "library.producer_import"): ("/bibliotheque/producteurs/{lib_producer}/import", {}),
    # Vouchers and payments: "org" holds {v_voucher}; {v_programme} belongs to a funder none of them is a member of.
    ("POST", "billing.stripe_webhook"): ("/stripe/webhook", {"*": 400}),  # no valid Stripe signature
    ("GET", "vouchers.funder_dashboard"): ("/financeur/", {}),
    # The observatory (issue 17): staff everything, a funder its own scope, the public page aggregated.
    ("GET", "observatory.staff_page"): ("/observatoire/", {}),
    ("GET", "observatory.staff_csv"): ("/observatoire/departements.csv", {}),
    ("GET", "observatory.funder_page"): ("/financeur/observatoire/", {}),
    ("GET", "observatory.funder_csv"): ("/financeur/observatoire/departements.csv", {}),
    ("GET", "observatory.funder_report"): ("/financeur/observatoire/rapport.pdf?financeur={v_funder}", {}),
    ("GET", "observatory.impact"): ("/impact", {}),
    ("GET", "observatory.impact_csv"): ("/impact/departements.csv", {}),
    ("GET", "vouchers.programme_new"): ("/financeur/programmes/nouveau", {}),
    ("POST", "vouchers.programme_new"): ("/financeur/programmes/nouveau", {}),
    ("GET", "vouchers.programme_detail"): ("/financeur/programmes/{v_programme}", {}),
    ("GET", "vouchers.programme_pay"): ("/financeur/programmes/{v_programme}/paiement", {}),
    ("POST", "vouchers.programme_pay_confirm"): ("/financeur/programmes/{v_programme}/paiement", {}),
    ("POST", "vouchers.programme_pay_card"): ("/financeur/programmes/{v_programme}/paiement/carte", {}),
    ("GET", "vouchers.programme_pay_state"): ("/financeur/programmes/{v_programme}/paiement/etat", {}),
    ("GET", "vouchers.my_vouchers"): ("/cheques/", {}),
    ("POST", "vouchers.request_voucher"): ("/cheques/programmes/{v_programme}/demande", {}),
    ("GET", "vouchers.voucher_detail"): ("/cheques/{v_voucher}", {}),
    ("GET", "vouchers.voucher_pdf"): ("/cheques/{v_voucher}/cheque.pdf", {}),
    ("GET", "vouchers.verify"): ("/cheques/verifier?code=HUB-0000-0000-0000-0", {}),
    ("POST", "vouchers.reserve_for_mission"): ("/cheques/missions/{mission}/reserver", {}),
    ("GET", "vouchers.mission_pay"): (
        "/cheques/missions/{mission}/paiement",
        {"staff": 404},
    ),  # the org pays; nothing due: no Stripe call
    ("POST", "vouchers.mission_pay_confirm"): ("/cheques/missions/{mission}/paiement", {}),
    ("POST", "vouchers.mission_pay_card"): ("/cheques/missions/{mission}/paiement/carte", {}),
    ("GET", "vouchers.mission_pay_state"): ("/cheques/missions/{mission}/paiement/etat", {"staff": 404}),
    ("GET", "vouchers.staff_funders"): ("/moderation/financeurs", {}),
    ("POST", "vouchers.staff_funders"): ("/moderation/financeurs", {}),
    ("POST", "vouchers.staff_funder_member"): ("/moderation/financeurs/{v_funder}/membres", {}),
    ("GET", "vouchers.staff_requests"): ("/moderation/cheques/demandes", {}),
    ("POST", "vouchers.staff_request_decide"): ("/moderation/cheques/demandes/{v_request}", {}),
    ("GET", "vouchers.staff_clearing"): ("/moderation/versements?mois=2026-10", {}),
    ("GET", "vouchers.provider_statement"): ("/prestataire/{provider}/releve?mois=2026-10", {}),
    ("GET", "vouchers.staff_statement"): ("/moderation/versements/prestataires/{provider}?mois=2026-10", {}),
    ("POST", "vouchers.staff_batch_new"): ("/moderation/versements/lots", {}),
    ("GET", "vouchers.staff_batch"): ("/moderation/versements/lots/{v_batch}", {}),
    ("GET", "vouchers.staff_batch_xml"): ("/moderation/versements/lots/{v_batch}/pain001.xml", {}),
    ("POST", "vouchers.staff_batch_confirm"): ("/moderation/versements/lots/{v_batch}/confirmer", {}),
    ("GET", "vouchers.staff_payments"): ("/moderation/paiements", {}),
    ("POST", "vouchers.staff_payment_refund"): ("/moderation/paiements/{v_payment}/rembourser", {}),
    # The charter's text: {ch_consultation} is open on v1, {ch_amendment} was proposed in it by someone else.
    ("GET", "charter.charter"): ("/charte", {}),
    ("GET", "charter.versions"): ("/charte/versions", {}),
    ("GET", "charter.version"): ("/charte/versions/1", {}),
    ("GET", "charter.compare_versions"): ("/charte/comparer?de=1&a=1", {}),
    ("GET", "charter.history"): ("/charte/historique", {}),
    ("GET", "charter.consultations"): ("/charte/consultations", {}),
    ("GET", "charter.consultation_new"): ("/charte/consultations/nouvelle", {}),
    ("POST", "charter.consultation_new"): ("/charte/consultations/nouvelle", {}),
    ("GET", "charter.consultation"): ("/charte/consultations/{ch_consultation}", {}),
    ("POST", "charter.consultation_close"): ("/charte/consultations/{ch_consultation}/cloturer", {}),
    ("POST", "charter.consultation_publish"): ("/charte/consultations/{ch_consultation}/publier", {}),
    ("GET", "charter.amendment_new"): ("/charte/consultations/{ch_consultation}/amendements/nouveau", {}),
    ("POST", "charter.amendment_new"): ("/charte/consultations/{ch_consultation}/amendements/nouveau", {}),
    ("GET", "charter.amendment"): ("/charte/amendements/{ch_amendment}", {}),
    ("POST", "charter.amendment_withdraw"): ("/charte/amendements/{ch_amendment}/retirer", {}),
    ("POST", "charter.amendment_support"): ("/charte/amendements/{ch_amendment}/soutenir", {}),
    ("POST", "charter.amendment_unsupport"): ("/charte/amendements/{ch_amendment}/retirer-soutien", {}),
    ("POST", "charter.amendment_comment"): ("/charte/amendements/{ch_amendment}/commentaires", {}),
    ("POST", "charter.amendment_decide"): ("/charte/amendements/{ch_amendment}/decision", {}),
    ("GET", "charter.committee"): ("/moderation/comite-charte", {}),
    ("POST", "charter.committee"): ("/moderation/comite-charte", {}),
    ("POST", "charter.committee_remove"): ("/moderation/comite-charte/{ch_member}/retirer", {}),
    ("GET", "api.openapi"): ("/api/v1/openapi.json", {}),
    ("GET", "api.skills"): ("/api/v1/skills", {}),
    ("GET", "api.communes"): ("/api/v1/communes?q=nice", {}),
    ("GET", "api.offers"): ("/api/v1/offers", {}),
    ("GET", "api.offer"): ("/api/v1/offers/{offer}", {}),
    ("GET", "api.providers"): ("/api/v1/providers", {}),
    ("GET", "api.provider"): ("/api/v1/providers/{provider}", {}),
    ("POST", "api.create_offer"): ("/api/v1/offers", {}),
    ("PATCH", "api.update_offer"): ("/api/v1/offers/{offer}", {}),
    ("GET", "api.list_needs"): ("/api/v1/needs", {}),
    ("GET", "api.need"): ("/api/v1/needs/{need}", {}),
    ("POST", "api.create_need"): ("/api/v1/needs", {}),
    ("PATCH", "api.update_need"): ("/api/v1/needs/{need}", {}),
    # Charter labels: a provider member assesses their provider (no adopted version here: a page says so);
    # the others get 404 on a subject that is not theirs; no assessment {999999} to review; no label L-0000-0000.
    ("GET", "charter_labels.my_assessments"): ("/charte/evaluations", {}),
    ("GET", "charter_labels.assess"): ("/charte/evaluations/provider/{provider}", {"org": 404, "staff": 404}),
    ("POST", "charter_labels.assess"): ("/charte/evaluations/provider/{provider}", {}),
    ("GET", "charter_labels.review"): (
        "/charte/evaluations/999999/relecture",
        {"org": 404, "provider": 404, "staff": 404},
    ),
    ("POST", "charter_labels.review"): ("/charte/evaluations/999999/relecture", {}),
    ("GET", "charter_labels.evidence_file"): (
        "/charte/evaluations/999999/preuves/1",
        {"org": 404, "provider": 404, "staff": 404},
    ),
    ("GET", "charter_labels.registry_page"): ("/charte/labellises", {}),
    ("GET", "charter_labels.registry_csv"): ("/charte/labellises.csv", {}),
    ("GET", "charter_labels.registry_json"): ("/charte/labellises.json", {}),
    ("GET", "charter_labels.label_page"): ("/charte/labels/L-0000-0000", {"*": 404}),
    ("GET", "charter_labels.badge"): ("/charte/labels/L-0000-0000/badge.svg", {"*": 404}),
}

# Routes whose *object* belongs to someone: another organisation's member gets 404, not the page.
OBJECT_SCOPED = {
    "directory.organisation_edit": "org",
    "needs.detail": "need",
    "needs.edit": "need",
    "matches.mission_detail": "need",
    "matches.request_detail": "need",
    "vouchers.provider_statement": "provider",
    "directory.provider_edit": "provider",
    "directory.offer_edit": "offer",
    "directory.offer_new": "provider",
    "library.resource_edit": "lib",
    "library.licences": "lib",
    "library.certificate": "lib",
    "library.producer_edit": "lib",
    "library.producer_space": "lib",
    "library.producer_import": "lib",
    "vouchers.voucher_detail": "org",
    "vouchers.voucher_pdf": "org",
    "charter_labels.assess": "provider",
}


def test_a_committee_member_is_let_in_where_others_are_refused(app, client, factory):
    """Access.COMMITTEE: a committee member (not staff) passes; a member of nothing gets 403."""
    charter = charter_text_world(factory)
    url = "/charte/consultations/nouvelle"
    login(client, factory.user())
    assert client.get(url).status_code == 403
    login(client, charter["committee"])
    assert client.get(url).status_code == 200
    assert client.get("/moderation/comite-charte").status_code == 403  # granting the role is staff's


@pytest.fixture
def world(factory, app, tmp_path, monkeypatch, db_session):
    org_user = factory.user(name="Membre Structure")
    org = factory.organisation(owner=org_user)
    need = factory.need(organisation=org, user=org_user)
    provider_user = factory.user(name="Membre Prestataire", intent="provider")
    provider = factory.provider(owner=provider_user)
    offer = factory.offer(provider=provider)
    staff = factory.staff()
    # A run over a second need (in Avignon, served remotely), approved and accepted: a mission.
    other_need = factory.need(organisation=org, user=org_user, commune_insee="84007", title="Former l'équipe")
    run, proposal, mission = factory.mission(other_need, provider_user, staff)
    # A direct request of the organisation for the offer, with a need prefilled from it.
    from app.matches.requests import prefill, request_with_new_need

    direct = request_with_new_need(org_user, offer, org, prefill(offer, org, org_user), key="matrice" * 3)
    monkeypatch.setitem(app.config, "FILES_DIR", str(tmp_path / "files"))
    library = library_world(factory, provider_user, org_user)
    vouchers = vouchers_world(factory, org_user, org)
    charter = charter_text_world(factory)
    amendment = text.propose_amendment(
        charter["committee"],
        charter["consultation"],
        {"kind": "remove", "criterion_id": charter["criteria"][1].criterion_id, "rationale": "Pour la matrice."},
    )
    member_id = text.committee_members()[0][0].id
    return {
        "users": {"org": org_user, "provider": provider_user, "staff": staff},
        "ids": {
            "org": org.id,
            "need": need.id,
            "provider": provider.id,
            "offer": offer.id,
            "run": run.id,
            "proposal": proposal.id,
            "mission": mission.id,
            "request": direct.id,
            **library,
            **vouchers,
            "ch_consultation": charter["consultation"].id,
            "ch_amendment": amendment.id,
            "ch_member": member_id,
            "syn_group": db_session.scalar(select(SynonymGroup.id).limit(1)),  # the seed's (migration 0020)
        },
    }


def test_every_route_is_in_the_matrix(app):
    routes = {
        (method, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - set(EXPECTED) == set(), "declare these routes in the access matrix"
    assert set(EXPECTED) - routes == set(), "these routes no longer exist"
    for _method, endpoint in routes:
        assert declared_access(app, endpoint) is not None


def _expected(app, method, endpoint, persona):
    _url, exceptions = EXPECTED[(method, endpoint)]
    if persona in exceptions:
        return exceptions[persona]
    if "*" in exceptions:
        return exceptions["*"]
    code = BY_ACCESS[declared_access(app, endpoint)][persona]
    if (
        method in ("POST", "PATCH")
        and code == 200
        and declared_access(app, endpoint) not in (Access.API_PUBLIC, Access.API_TOKEN)
    ):
        return 400  # allowed, but a browser form without its CSRF token is refused
    return code


@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(app, client, world, persona):
    if persona != "anon":
        login(client, world["users"][persona])
    failures = []
    for (method, endpoint), (template, _exc) in EXPECTED.items():
        url = template.format(**world["ids"])
        response = client.open(url, method=method, json={} if endpoint.startswith("api.") and method != "GET" else None)
        expected = _expected(app, method, endpoint, persona)
        if response.status_code != expected:
            failures.append(f"{method} {url} as {persona}: {response.status_code}, expected {expected}")
        if expected == LOGIN and persona == "anon" and not endpoint.startswith("api."):
            if "/connexion" not in response.headers.get("Location", "") and endpoint not in (
                "accounts.signup",
                "accounts.login",
            ):
                failures.append(
                    f"{method} {url} as {persona}: redirects to {response.headers.get('Location')}, not login"
                )
    assert not failures, "\n".join(failures)


def test_api_token_opens_the_token_routes(app, client, world, db_session):
    token = create_api_token(world["users"]["org"])
    db_session.flush()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/needs", headers=headers).status_code == 200
    assert client.get(f"/api/v1/needs/{world['ids']['need']}", headers=headers).status_code == 200
    # A wrong token is refused like no token.
    assert client.get("/api/v1/needs", headers={"Authorization": "Bearer hub_faux"}).status_code == 401


@pytest.mark.parametrize("endpoint", sorted(OBJECT_SCOPED))
def test_other_members_get_404_on_objects_they_do_not_own(client, factory, world, endpoint):
    stranger_org_user = factory.user()
    factory.organisation(owner=stranger_org_user, name="Autre association")
    stranger_provider_user = factory.user(intent="provider")
    factory.provider(owner=stranger_provider_user, name="Autre prestataire")
    kind = OBJECT_SCOPED[endpoint]
    stranger = stranger_org_user if kind in ("org", "need") else stranger_provider_user
    login(client, stranger)
    template, _exc = EXPECTED[("GET", endpoint)]
    assert client.get(template.format(**world["ids"])).status_code == 404


def test_contact_details_of_a_need_are_hidden_from_others(client, factory, world):
    need_url = f"/besoins/{world['ids']['need']}"
    login(client, world["users"]["provider"])
    assert client.get(need_url).status_code == 403
    login(client, world["users"]["org"])
    assert "camille@calanques.example.org" in page_text(client.get(need_url))
