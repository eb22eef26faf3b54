# The two commands a fresh machine needs (README): `make font` and `make test`.
.PHONY: setup setup-test font test bench

VENV := .venv/bin

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

font: setup
	$(VENV)/fontgen make-font --samples example --out MyHand.otf --out MyHand.ttf --name "Example Hand" --force

test: setup-test
	$(VENV)/python -m pytest -q -rs tests

bench: setup
	$(VENV)/python bench/font_factory.py
