"""The ceiling the KPI benchmark compares the API with (DESIGN §7): plain Flask on the same server
setup. Uvicorn serves it through a2wsgi, as it serves Connexion's Flask app; each request checks a
connection out of the API's own engine (its role, pool and pre-ping) and runs one trivial query in
a transaction. No contract, no validation, no authentication, no ORM: what any database-backed
request costs on this machine before Consumo does anything.

    uvicorn ceiling:app   (with backend/ and backend/bench/ on PYTHONPATH; bench_kpis.py does it)
"""

from __future__ import annotations

import flask
from a2wsgi import WSGIMiddleware
from sqlalchemy import text

from consumo.db import app_engine

flask_app = flask.Flask(__name__)


@flask_app.get("/ceiling")
def ceiling() -> flask.Response:
    with app_engine().begin() as connection:
        value = connection.execute(text("SELECT 1")).scalar_one()
    return flask.jsonify(ok=value == 1)


app = WSGIMiddleware(flask_app)
