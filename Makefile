# The two commands of a fresh machine: `make run` and `make test`. Everything else is installed from the lock file.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test install asyncapi bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

run: install  ## the whole platform on the embedded defaults, with demo data; Ctrl-C stops it
	$(VENV)/bin/gridlink up

test: install  ## the import contracts (docs/architecture.md), then unit, integration (real PostgreSQL and Tansu) and end-to-end tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

asyncapi: install  ## regenerate docs/asyncapi.yaml from the event registry
	$(VENV)/bin/gridlink asyncapi

clean:
	rm -rf $(VENV) .tools .gridlink .pytest_cache
