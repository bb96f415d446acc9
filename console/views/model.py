"""The Model page (supervisors and admins): the active model and its dev-set figures, the corrections waiting
to be exported, retraining in the background (console/training.py) with its progress, and the activation of
the candidate once its figures are shown beside the active model's and the baseline's."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Language, NluCorrection, StaffRole
from crm.privacy import audit

from console import corrections as fixes
from console.i18n import translate
from console.rasa import RasaUnavailable
from console.training import JobState, Trainer, TrainingBusy, log_tail
from console.training_models import CannotActivate, activate, active_model, comparison, read_baseline
from console.views.handoffs import RASA
from console.web import config, db, language, requires, staff

routes = web.RouteTableDef()
TRAINER = web.AppKey("trainer", Trainer)
NOTICES = {"started": "model.notice.started", "loaded": "model.notice.loaded", "later": "model.notice.later"}


def _elapsed(lang: str, seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return translate(lang, "model.elapsed_value", m=minutes, s=seconds)


def _status(lang: str, trainer: Trainer, job: JobState | None) -> dict[str, Any]:
    """What the page shows of the job and polls for (GET /model/status)."""
    if job is None:
        return {"phase": None, "running": False}
    return {
        "phase": job.phase,
        "phase_label": translate(lang, f"training.phase.{job.phase}"),
        "running": job.running,
        "elapsed": _elapsed(lang, job.elapsed()),
        "tail": log_tail(trainer.log_path),
    }


def _waiting(session: Session, nlu_dir: Any) -> dict[Language, fixes.Export]:
    """The corrections not exported yet, per language, as the next export would write them."""
    waiting_ids = set(session.scalars(select(NluCorrection.id).where(NluCorrection.exported_at.is_(None))))
    items = [c for c in fixes.corrections(session) if c.id in waiting_ids]
    return {lang: fixes.render_export(items, lang, fixes.training_examples(nlu_dir, lang)) for lang in Language}


async def _page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    cfg, lang = config(request), language(request)
    trainer = request.app[TRAINER]
    waiting = await db(request).run(lambda s: _waiting(s, cfg.nlu_dir))
    baseline = read_baseline()
    active = active_model(trainer.settings, baseline)
    job = trainer.current()
    rows = comparison(baseline, active.figures if active else None, job.figures if job else None)
    notice = NOTICES.get(request.query.get("done", ""))
    return aiohttp_jinja2.render_template(
        "model.html",
        request,
        {
            "active": active,
            "baseline_model": baseline.get("model"),
            "waiting": waiting,
            "job": job,
            "status": _status(lang, trainer, job),
            "rows": rows,
            "figure_names": {r.figure: translate(lang, f"model.figure.{r.figure}") for r in rows},
            "problem": translate(lang, job.problem) if job and job.problem else None,
            "error": error,
            "notice": translate(lang, notice) if notice else None,
        },
        status=status,
    )


@routes.get("/model")
@requires(StaffRole.SUPERVISOR)
async def model_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.get("/model/status")
@requires(StaffRole.SUPERVISOR)
async def model_status(request: web.Request) -> web.StreamResponse:
    trainer = request.app[TRAINER]
    return web.json_response(_status(language(request), trainer, trainer.current()))


@routes.post("/model/retrain")
@requires(StaffRole.SUPERVISOR)
async def retrain(request: web.Request) -> web.StreamResponse:
    """Export the corrections (as `python -m console export-corrections` does), then train and evaluate in
    the background; a second click while a job runs is told so and changes nothing."""
    cfg, info, lang = config(request), staff(request), language(request)
    trainer = request.app[TRAINER]
    try:
        trainer.begin(info.user.username)
    except TrainingBusy:
        return await _page(request, error=translate(lang, "model.busy"), status=409)

    def export(session: Session) -> list[tuple[str, int]]:
        written = fixes.write_exports(session, cfg.nlu_dir, cfg.nlu_dir)
        exported = [(result.language.value, result.examples) for _, result in written]
        audit(session, actor=info.user.username, action="retrain_model", customer_id=None, exported=exported)
        return exported

    try:
        exported = await db(request).run(export)
    except Exception:
        trainer.fail("training.failed.export")
        raise
    trainer.launch(exported)
    raise web.HTTPSeeOther("/model?done=started")


@routes.post("/model/activate")
@requires(StaffRole.SUPERVISOR)
async def activate_candidate(request: web.Request) -> web.StreamResponse:
    """Move the evaluated candidate into models/ and ask the running Rasa server to load it."""
    info, lang = staff(request), language(request)
    trainer = request.app[TRAINER]
    job = trainer.current()
    if job is None or job.phase != "ready" or job.model is None or job.figures is None:
        return await _page(request, error=translate(lang, "training.activate.missing"), status=409)
    try:
        path = activate(trainer.settings, job.model, job.figures)
    except CannotActivate as problem:
        return await _page(request, error=translate(lang, problem.key), status=409)
    trainer.activated(info.user.username)
    try:
        await request.app[RASA].load_model(str(path))
        loaded = True
    except RasaUnavailable:
        loaded = False
    await db(request).run(
        lambda s: audit(
            s,
            actor=info.user.username,
            action="activate_model",
            customer_id=None,
            model=path.name,
            recommended=job.recommended,
            loaded=loaded,
        )
    )
    raise web.HTTPSeeOther(f"/model?done={'loaded' if loaded else 'later'}")
