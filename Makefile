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

# The bulletin PDF embeds a Chinese font: WenQuanYi Micro Hei, from the system if there, else from Debian's package.
FONT := .tools/fonts/wqy-microhei.ttc
SYSTEM_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
$(FONT):
	mkdir -p $(@D)
	if [ -f $(SYSTEM_FONT) ]; then cp $(SYSTEM_FONT) $@; else \
	  tmp=$$(mktemp -d) && (cd $$tmp && apt-get download fonts-wqy-microhei >/dev/null 2>&1) && \
	  dpkg-deb -x $$tmp/fonts-wqy-microhei_*.deb $$tmp/x && cp $$tmp/x$(SYSTEM_FONT) $@ && rm -rf $$tmp; fi

install: $(VENV)/.installed $(FONT)

run: install  ## the whole platform on the embedded defaults, with demo data; Ctrl-C stops it
	$(VENV)/bin/gridlink up

test: install  ## the import contracts (docs/architecture.md), then unit, integration (real PostgreSQL and Tansu) and end-to-end tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

asyncapi: install  ## regenerate docs/asyncapi.yaml from the event registry
	$(VENV)/bin/gridlink asyncapi

clean:
	rm -rf $(VENV) .tools .gridlink .pytest_cache
