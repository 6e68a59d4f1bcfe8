# kechuang — two commands on a fresh machine:
#   make demo   build, load the synthetic demo city into SQLite under ./var/, serve on http://127.0.0.1:8000
#   make test   the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
KC := $(VENV)/bin/kechuang
PYTEST_ARGS ?= -n 2 -q --dist loadgroup
VENDOR := src/kechuang/web/static/vendor

.PHONY: demo test install assets system-deps serve clean bench

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv sync --frozen --inexact --quiet --compile-bytecode
	$(VENV)/bin/python -m compileall -q src  # commands start from bytecode even where none is written at run time
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/echarts/dist/echarts.min.js node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/

# Chromium (browser tests) and a CJK font come from Debian; installed when missing and we may.
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "提示: 未安装 chromium / fonts-wqy-microhei,浏览器测试将跳过 (apt-get install chromium fonts-wqy-microhei)"; fi; \
	fi

demo: install
	$(KC) demo-setup --city 盐城市 --enterprises 20000
	$(KC) serve --host 127.0.0.1 --port 8000

serve: install
	$(KC) serve

test: install system-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/python benchmarks/reader.py
	$(VENV)/bin/python benchmarks/ledgers.py
	$(VENV)/bin/python benchmarks/programs.py
	$(VENV)/bin/python benchmarks/evaluate_cli.py
	$(VENV)/bin/python benchmarks/startup.py
	$(VENV)/bin/python benchmarks/dashboards.py
	$(VENV)/bin/python benchmarks/web.py --enterprises 20000

clean:
	rm -rf $(VENV) node_modules var $(VENDOR)
