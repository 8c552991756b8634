"""Hub staff's page of the search's synonym table (/moderation/recherche/synonymes): list, add, edit,
delete a group; download the table as YAML, replace it from a YAML file or pasted text. A refused table
changes nothing and comes back in the form, with every problem listed."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import Access, access
from app.core.web import form_status, load_or_404, submit_action, transaction
from app.searching import synonyms as table
from app.searching.forms import ConfirmForm, SynonymGroupForm, SynonymYamlForm
from app.searching.models import SynonymGroup
from app.searching.views import bp

BASE = "/moderation/recherche/synonymes"
MAX_UPLOAD_BYTES = table.MAX_YAML_CHARS * 4  # UTF-8: at most 4 bytes a character


def _page(group_form=None, yaml_form=None, status: int = 200):
    query = (request.args.get("q") or "").strip()[:60]
    groups = table.stored_groups()
    shown = [g for g in groups if table.fold(query) in table.fold(" ".join(g.phrase_list))] if query else groups
    return render_template(
        "searching/synonyms.html",
        groups=shown,
        total=len(groups),
        query=query,
        state=table.table_state(),
        group_form=group_form or SynonymGroupForm(formdata=None),
        yaml_form=yaml_form or SynonymYamlForm(formdata=None),
        max_groups=table.MAX_GROUPS,
    ), status


@bp.get(BASE)
@access(Access.STAFF)
def synonyms():
    return _page()


@bp.post(BASE)
@access(Access.STAFF)
def synonym_add():
    form = SynonymGroupForm()
    if form.validate_on_submit():
        with transaction(form) as tx:
            table.add_group(current_user, table.split_phrases(form.phrases.data))
        if tx.ok:
            flash(_("Groupe ajouté."), "success")
            return redirect(url_for("searching.synonyms"))
    return _page(group_form=form, status=422)


@bp.route(f"{BASE}/<int:group_id>/modifier", methods=["GET", "POST"])
@access(Access.STAFF)
def synonym_edit(group_id: int):
    group = load_or_404(SynonymGroup, group_id)
    form = SynonymGroupForm(data=None if request.method == "POST" else {"phrases": "\n".join(group.phrase_list)})
    if form.validate_on_submit():
        with transaction(form) as tx:
            table.update_group(current_user, group, table.split_phrases(form.phrases.data))
        if tx.ok:
            flash(_("Groupe enregistré."), "success")
            return redirect(url_for("searching.synonyms"))
    return render_template("searching/synonym_edit.html", form=form, group=group), form_status(form)


@bp.post(f"{BASE}/<int:group_id>/supprimer")
@access(Access.STAFF)
def synonym_delete(group_id: int):
    group = load_or_404(SynonymGroup, group_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("Le formulaire a expiré : rechargez la page."), "error")
        return redirect(url_for("searching.synonyms"))
    words = ", ".join(group.phrase_list)
    return submit_action(
        lambda: table.delete_group(current_user, group),
        _("Groupe supprimé : %(words)s.", words=words),
        url_for("searching.synonyms"),
    )


@bp.get(f"{BASE}.yaml")
@access(Access.STAFF)
def synonyms_yaml():
    return Response(
        table.export_yaml(),
        mimetype="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="synonymes-hub-du-sud.yaml"'},
    )


def _uploaded_text(form: SynonymYamlForm) -> str | None:
    """The file's text (it wins over the pasted text), or the pasted text; None after an error on the form."""
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return form.text.data or ""
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        form.file.errors = [_("Le fichier est trop long (%(max)d caractères au plus).", max=table.MAX_YAML_CHARS)]
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = [_("Le fichier n'est pas un texte en UTF-8.")]
        return None


@bp.post(f"{BASE}/remplacer")
@access(Access.STAFF)
def synonyms_replace():
    form = SynonymYamlForm()
    if form.validate_on_submit():
        text = _uploaded_text(form)
        if text is not None:
            form.text.data = text  # refused, it comes back in the text area to be corrected
            try:
                groups = table.parse_yaml(text)
            except table.SynonymTableError as error:
                form.text.errors = list(error.errors)
            else:
                with transaction(form) as tx:
                    count = table.replace_table(current_user, groups)
                if tx.ok:
                    flash(_("Table remplacée : %(count)d groupes.", count=count), "success")
                    return redirect(url_for("searching.synonyms"))
    return _page(yaml_form=form, status=422)
