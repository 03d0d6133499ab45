# The README's commands. `make run` and `make test` set up a fresh Debian/Ubuntu machine first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# pytest-xdist processes for `make test`; TEST_WORKERS=0 runs the suite in one process
TEST_WORKERS ?= 2
RUN_PACKAGES := ffmpeg fonts-dejavu-core fonts-noto-core
TEST_PACKAGES := $(RUN_PACKAGES) espeak-ng chromium redis-server wrk

.PHONY: run test bench lint system-run system-test venv dev-venv clean

run: system-run venv
	$(VENV)/bin/clipper up

test: system-test dev-venv
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: system-test dev-venv
	$(PY) -m bench

lint: dev-venv
	$(VENV)/bin/ruff check clipper web workers storage tests
	$(VENV)/bin/mypy

system-run:
	@sh scripts/system-packages.sh $(RUN_PACKAGES)

system-test:
	@sh scripts/system-packages.sh $(TEST_PACKAGES)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(PY) $(VENV)/.installed-run
$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PIP) install --quiet -e . && touch $@

dev-venv: $(PY) $(VENV)/.installed-dev
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,postgres]' && $(PIP) install --quiet torch==2.13.0 && $(PIP) install --quiet -e '.[openai-whisper]' && touch $@

clean:
	rm -rf $(VENV) var
