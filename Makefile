# tda.monitoring: `make lab` and `make test` are the two commands of the README.
# Every target does its own set-up (virtualenv, collections, Docker engine, images).
SHELL := /bin/bash
S ?=

.PHONY: help setup lab lab-down test lint sanity unit bench build docs clean

help:
	@echo "make lab        create the lab containers and deploy site.yml to them"
	@echo "make lab-down   remove the lab's containers and network"
	@echo "make test       the whole suite (make test S=<scenario> runs one scenario)"
	@echo "make bench      what a deploy costs and how it scales (figures, not pass/fail)"
	@echo "make build      the collection tarball (artifacts/collection/)"
	@echo "make docs       the docs site (artifacts/docs/html), after antsibull-docs' lint"

setup:
	@bash tools/venv.sh
	@bash tools/collections.sh

lab: setup
	@bash tools/lab.sh up

lab-down:
	@bash tools/lab.sh down

test:
	@bash tools/test.sh $(S)

lint: setup
	@source tools/env.sh && ansible-lint --profile production

sanity: setup
	@bash tools/sanity.sh

unit: setup
	@bash tools/host-tools.sh
	@source tools/env.sh && python -m pytest -q tests/unit

# Figures only (docs/performance.md explains them); not part of `make test`.
bench: setup
	@bash tools/host-tools.sh
	@bash tools/docker-engine.sh
	@bash tools/images.sh
	@source tools/env.sh && python bench/scale.py && python bench/deploy.py && python bench/lab.py

build: setup
	@bash tools/build.sh

docs: setup
	@bash tools/docs.sh

clean: lab-down
	rm -rf artifacts .ansible
